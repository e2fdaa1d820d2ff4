// Port: hrydgard/ppsspp#10599 ("Fix yet more shutdown shenanigans")
//   With the separate EmuThread (Windows, OpenGL), the emu thread records
//   frames into GLRenderManager (BeginFrame()/Finish() hand a FrameData to
//   the render thread) and the main thread executes them in
//   GraphicsContext::ThreadFrame(), which waits on the frame's pull_condVar
//   until it is readyForRun or run_ is cleared by StopThread(). On exit the
//   main thread sets QUIT_REQUESTED and keeps calling ThreadFrame() "to let
//   the EmuThread exit" until emuThreadState is STOPPED. If the emu thread
//   sees QUIT_REQUESTED right after the main thread ran its last frame, it
//   moves to STOPPED and shuts graphics down without queueing another frame
//   and without ever calling StopThread(), so the main thread sits in the
//   condition wait inside ThreadFrame() forever and never joins the emu
//   thread.
// Style: (d) standard library (std::thread, std::mutex,
//   std::condition_variable per FrameData, std::atomic state)
// Bug class: a consumer waiting for a producer that exits on a shutdown path
//   without sending the stop notification the wait also accepts
// Shape: the emu thread renders a frame every 40 ms; after the 5th frame
//   (t~200 ms) the main thread sets QUIT_REQUESTED and calls ThreadFrame()
//   again, waiting for frame 6; at t~240 ms the emu thread sees the request,
//   sets STOPPED and returns; nothing notifies the main thread.
// Fix: EmuThreadFunc() calls g_graphicsContext->StopThread() after it has
//   shut down, and WindowsGLContext::StopThread() waits for the queued frames
//   (WaitUntilQueueIdle()) and then GLRenderManager::StopThread(), which
//   clears run_ and notifies every pull_condVar.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

enum class GLRRunType { END, SYNC };
struct GLRStep { int numDraws; };
#define MAX_INFLIGHT_FRAMES 3

class GLRenderManager {
public:
    void ThreadStart() { threadFrame_ = 0; nextFrame = false; }
    void ThreadEnd() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (auto &frameData : frameData_) { for (auto *s : frameData.steps) delete s; frameData.steps.clear(); }
    }

    // Render thread
    bool ThreadFrame() {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!run_)
            return false;
        // In case of syncs or other partial completion, we keep going until we complete a frame.
        do {
            if (nextFrame) {
                threadFrame_++;
                if (threadFrame_ >= MAX_INFLIGHT_FRAMES)
                    threadFrame_ = 0;
            }
            FrameData &frameData = frameData_[threadFrame_];
            {
                std::unique_lock<std::mutex> lock(frameData.pull_mutex);
                while (!frameData.readyForRun && run_) {
                    frameData.pull_condVar.wait(lock);
                }
                if (!frameData.readyForRun && !run_) {
                    // This means we're out of frames to render and run_ is false, so bail.
                    return false;
                }
                frameData.readyForRun = false;
                nextFrame = frameData.type == GLRRunType::END;
            }
            Run(threadFrame_);
        } while (!nextFrame);
        return true;
    }

    void StopThread() {
        // Since we don't control the thread directly, this will only pause the thread.
        if (run_) {
            run_ = false;
            for (auto &frameData : frameData_) {
                { std::unique_lock<std::mutex> lock(frameData.push_mutex); frameData.push_condVar.notify_all(); }
                { std::unique_lock<std::mutex> lock(frameData.pull_mutex); frameData.pull_condVar.notify_all(); }
            }
            // Wait until we've definitely stopped the threadframe.
            std::unique_lock<std::mutex> lock(mutex_);
            std::printf("GL submission thread paused. Frame=%d\n", curFrame_);
            for (auto &frameData : frameData_) {
                std::unique_lock<std::mutex> lock(frameData.push_mutex);
                while (!frameData.readyForFence)
                    frameData.push_condVar.wait(lock);
            }
        }
    }

    // Emu thread
    void BeginFrame() {
        FrameData &frameData = frameData_[curFrame_];
        std::unique_lock<std::mutex> lock(frameData.push_mutex);
        while (!frameData.readyForFence)
            frameData.push_condVar.wait(lock);
        frameData.readyForFence = false;
        frameData.readyForSubmit = true;
    }
    void Draw(int draws) { steps_.push_back(new GLRStep{draws}); }
    void Finish() {
        FrameData &frameData = frameData_[curFrame_];
        {
            std::unique_lock<std::mutex> lock(frameData.pull_mutex);
            frameData.steps = std::move(steps_);
            steps_.clear();
            frameData.readyForRun = true;
            frameData.type = GLRRunType::END;
        }
        frameData.pull_condVar.notify_all();
        curFrame_ = (curFrame_ + 1) % MAX_INFLIGHT_FRAMES;
    }
    void WaitUntilQueueIdle() {
        for (auto &frameData : frameData_) {
            std::unique_lock<std::mutex> lock(frameData.push_mutex);
            while (!frameData.readyForFence && frameData.readyForRun)
                frameData.push_condVar.wait(lock);
        }
    }
    int framesRun() const { return framesRun_; }

private:
    struct FrameData {
        std::mutex push_mutex;
        std::condition_variable push_condVar;
        std::mutex pull_mutex;
        std::condition_variable pull_condVar;
        bool readyForFence = true;
        bool readyForRun = false;
        bool readyForSubmit = false;
        GLRRunType type = GLRRunType::END;
        std::vector<GLRStep *> steps;
    };

    void Run(int frame) {   // queueRunner_.RunSteps() + EndSubmitFrame()
        FrameData &frameData = frameData_[frame];
        for (auto *step : frameData.steps) delete step;
        frameData.steps.clear();
        framesRun_++;
        std::unique_lock<std::mutex> lock(frameData.push_mutex);
        frameData.readyForFence = true;
        frameData.readyForSubmit = false;
        frameData.push_condVar.notify_all();
    }

    FrameData frameData_[MAX_INFLIGHT_FRAMES];
    std::vector<GLRStep *> steps_;
    int curFrame_ = 0;
    int threadFrame_ = 0;
    bool nextFrame = false;
    int framesRun_ = 0;
    std::atomic<bool> run_{true};
    std::mutex mutex_;
};

class WindowsGLContext {   // GraphicsContext
public:
    explicit WindowsGLContext(GLRenderManager *rm) : renderManager_(rm) {}
    void ThreadStart() { renderManager_->ThreadStart(); }
    bool ThreadFrame() { return renderManager_->ThreadFrame(); }
    void ThreadEnd() { renderManager_->ThreadEnd(); }
    void StopThread() {
        renderManager_->WaitUntilQueueIdle();
        renderManager_->StopThread();
    }
private:
    GLRenderManager *renderManager_;
};

enum class EmuThreadState { DISABLED, START_REQUESTED, RUNNING, QUIT_REQUESTED, STOPPED };
static std::thread emuThread;
static std::atomic<int> emuThreadState((int)EmuThreadState::DISABLED);
static GLRenderManager g_renderManager;
static WindowsGLContext *g_graphicsContext;

static void UpdateRunLoop() {   // NativeUpdate() + NativeRender()
    g_renderManager.BeginFrame();
    g_renderManager.Draw(42);
    g_renderManager.Finish();
    std::this_thread::sleep_for(std::chrono::milliseconds(40));   // emulate one PSP frame
}

static void EmuThreadFunc() {
    emuThreadState = (int)EmuThreadState::RUNNING;
    while (emuThreadState != (int)EmuThreadState::QUIT_REQUESTED)
        UpdateRunLoop();
    emuThreadState = (int)EmuThreadState::STOPPED;
    std::printf("emu thread: NativeShutdownGraphics\n");
    // Also may need to make this graphics context stop to let it shutdown.
    g_graphicsContext->StopThread();
}

static void EmuThreadStop() {
    if (emuThreadState != (int)EmuThreadState::QUIT_REQUESTED && emuThreadState != (int)EmuThreadState::STOPPED)
        emuThreadState = (int)EmuThreadState::QUIT_REQUESTED;
}

static void EmuThreadJoin() {
    emuThread.join();
    emuThread = std::thread();
}

int main() {   // MainThreadFunc
    WindowsGLContext context(&g_renderManager);
    g_graphicsContext = &context;
    g_graphicsContext->ThreadStart();
    emuThreadState = (int)EmuThreadState::START_REQUESTED;
    emuThread = std::thread(EmuThreadFunc);

    int frames = 0;
    while (emuThreadState != (int)EmuThreadState::DISABLED) {
        g_graphicsContext->ThreadFrame();
        if (++frames == 5)   // GetUIState() == UISTATE_EXIT: the user closed the window
            break;
    }

    EmuThreadStop();
    while (emuThreadState != (int)EmuThreadState::STOPPED) {
        // Need to keep eating frames to allow the EmuThread to exit correctly.
        g_graphicsContext->ThreadFrame();
    }
    EmuThreadJoin();
    g_graphicsContext->ThreadEnd();
    std::printf("exited after %d frames\n", g_renderManager.framesRun());
    return 0;
}
