//===--- ThreadLeakModule.cpp - the threadleak clang-tidy module ----------===//
//
// Registers every threadleak check. Linked into both front-ends: the
// threadleak CLI and the clang-tidy plugin.
//
//===----------------------------------------------------------------------===//

#include "Compat.h"
#include "BlockedForeverCheck.h"
#include "ChannelRecvNoCloseCheck.h"
#include "ChannelSendNoReceiverCheck.h"
#include "CvLostWakeupCheck.h"
#include "CvWaitNoStopCheck.h"
#include "DetachedNoStopCheck.h"
#include "JthreadIgnoresStopCheck.h"
#include "SelectLoopNoExitCheck.h"
#include "clang-tidy/ClangTidyModule.h"

namespace clang::tidy::threadleak {

class ThreadLeakModule : public ClangTidyModule {
public:
  void addCheckFactories(ClangTidyCheckFactories &Factories) override {
    Factories.registerCheck<BlockedForeverCheck>("threadleak-blocked-forever");
    Factories.registerCheck<ChannelRecvNoCloseCheck>(
        "threadleak-channel-recv-no-close");
    Factories.registerCheck<ChannelSendNoReceiverCheck>(
        "threadleak-channel-send-no-receiver");
    Factories.registerCheck<CvLostWakeupCheck>("threadleak-cv-lost-wakeup");
    Factories.registerCheck<CvWaitNoStopCheck>("threadleak-cv-wait-no-stop");
    Factories.registerCheck<DetachedNoStopCheck>(
        "threadleak-detached-no-stop");
    Factories.registerCheck<JthreadIgnoresStopCheck>(
        "threadleak-jthread-ignores-stop");
    Factories.registerCheck<SelectLoopNoExitCheck>(
        "threadleak-select-loop-no-exit");
  }
};

// Registration happens when this object file is loaded: at plugin load time
// for clang-tidy --load, at startup for the CLI.
static ClangTidyModuleRegistry::Add<ThreadLeakModule>
    X("threadleak-module", "Finds leak-prone threads and coroutines.");

} // namespace clang::tidy::threadleak

// Referenced by the CLI so the linker keeps this object.
volatile int ThreadLeakModuleAnchorSource = 0;
