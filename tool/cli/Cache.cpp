//===--- Cache.cpp --------------------------------------------------------===//

#include "Cache.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

namespace threadleak {

static std::string hex(const std::array<uint8_t, 32> &Digest) {
  return llvm::toHex(llvm::ArrayRef<uint8_t>(Digest), /*LowerCase=*/true);
}

namespace {
/// A key's digest: its parts, each ended by a NUL so that no two lists of
/// parts hash alike.
class KeyDigest {
public:
  void add(llvm::StringRef Part) {
    S.update(Part);
    S.update(llvm::StringRef("\0", 1));
  }
  std::string hex() { return threadleak::hex(S.final()); }

private:
  llvm::SHA256 S;
};
} // namespace

std::string FindingsCache::contentHash(llvm::StringRef Path) {
  auto It = Hashes.find(Path);
  if (It != Hashes.end())
    return It->second;
  std::string H;
  // Only regular files: a dependency that became a FIFO must not hang the
  // lookup (an entry that names one is a miss).
  if (auto Buf = readInputFile(Path)) {
    llvm::SHA256 S;
    S.update((*Buf)->getBuffer());
    H = hex(S.final());
  }
  Hashes[Path] = H;
  return H;
}

std::string FindingsCache::key(const clang::tooling::CompileCommand &Command,
                               llvm::StringRef EffectiveConfig) const {
  KeyDigest D;
  // v2: outcomes carry fix-its, ranges and the NOLINT count.
  // v3: and cross-TU summaries and the functions asked about.
  D.add("threadleak/cache/v3");
  D.add(ToolIdentity);
  D.add(EffectiveConfig);
  D.add(Command.Directory);
  D.add(Command.Filename);
  for (const std::string &Arg : Command.CommandLine)
    D.add(Arg);
  return D.hex();
}

std::string FindingsCache::crossKey(
    llvm::StringRef Key,
    const std::vector<std::pair<std::string, std::string>> &Read) {
  KeyDigest D;
  D.add("threadleak/cache/cross-tu/v1");
  D.add(Key);
  for (const auto &[Id, Summary] : Read) {
    D.add(Id);
    D.add(Summary);
  }
  return D.hex();
}

std::string FindingsCache::entryPath(llvm::StringRef Key) const {
  llvm::SmallString<256> P(Directory);
  llvm::sys::path::append(P, Key.take_front(2), Key.str() + ".json");
  return std::string(P);
}

std::optional<TUOutcome> FindingsCache::lookup(llvm::StringRef Key) {
  auto Buf = llvm::MemoryBuffer::getFile(entryPath(Key));
  if (!Buf)
    return std::nullopt;
  llvm::Expected<llvm::json::Value> V = parseJSONInput((*Buf)->getBuffer());
  if (!V) {
    llvm::consumeError(V.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *O = V->getAsObject();
  const llvm::json::Array *Deps = O ? O->getArray("contentHashes") : nullptr;
  const llvm::json::Value *Outcome = O ? O->get("outcome") : nullptr;
  if (!Deps || !Outcome)
    return std::nullopt;
  for (const llvm::json::Value &D : *Deps) {
    const llvm::json::Array *Pair = D.getAsArray();
    if (!Pair || Pair->size() != 2)
      return std::nullopt;
    auto Path = (*Pair)[0].getAsString();
    auto Hash = (*Pair)[1].getAsString();
    if (!Path || !Hash || contentHash(*Path) != *Hash)
      return std::nullopt; // Changed or gone: analyse again.
  }
  // Only what store() writes: a unit analysed, or one that failed to
  // compile. Anything else is a corrupted entry: a miss, then replaced.
  TUOutcome Result;
  if (!fromJSON(*Outcome, Result) ||
      (Result.Status != TUOutcome::Analysed &&
       Result.Status != TUOutcome::CompileFailed))
    return std::nullopt;
  Result.FromCache = true;
  return Result;
}

void FindingsCache::store(llvm::StringRef Key, const TUOutcome &O) {
  if (O.Status != TUOutcome::Analysed && O.Status != TUOutcome::CompileFailed)
    return;
  llvm::json::Array Deps;
  for (const std::string &D : O.Dependencies) {
    std::string H = contentHash(D);
    if (H.empty())
      return; // Cannot vouch for it: do not cache.
    Deps.push_back(llvm::json::Array{D, H});
  }
  std::string Path = entryPath(Key);
  if (llvm::sys::fs::create_directories(llvm::sys::path::parent_path(Path)))
    return;
  // Written whole or not at all: a concurrent or interrupted run never
  // sees half an entry.
  llvm::SmallString<256> Model(Path);
  Model += ".tmp-%%%%%%";
  llvm::Expected<llvm::sys::fs::TempFile> T =
      llvm::sys::fs::TempFile::create(Model);
  if (!T) {
    llvm::consumeError(T.takeError());
    return;
  }
  {
    llvm::raw_fd_ostream OS(T->FD, /*shouldClose=*/false);
    OS << llvm::json::Value(llvm::json::Object{
        {"contentHashes", std::move(Deps)}, {"outcome", toJSON(O)}});
  }
  if (llvm::Error E = T->keep(Path))
    llvm::consumeError(std::move(E));
}

std::string FindingsCache::executableIdentity(const char *Argv0) {
  std::string Exe = llvm::sys::fs::getMainExecutable(
      Argv0, reinterpret_cast<void *>(&FindingsCache::executableIdentity));
  std::string Identity = THREADLEAK_VERSION;
  if (auto Buf =
          llvm::MemoryBuffer::getFile(Exe, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false)) {
    llvm::SHA256 S;
    S.update((*Buf)->getBuffer());
    Identity += "/" + hex(S.final());
  }
  return Identity;
}

std::string FindingsCache::defaultDirectory() {
  if (const char *D = std::getenv("THREADLEAK_CACHE_DIR"))
    if (*D)
      return D;
  llvm::SmallString<256> P;
  if (const char *X = std::getenv("XDG_CACHE_HOME"); X && *X)
    P = X;
  else if (const char *H = std::getenv("HOME"); H && *H) {
    P = H;
    llvm::sys::path::append(P, ".cache");
  } else
    return {};
  llvm::sys::path::append(P, "threadleak");
  return std::string(P);
}

} // namespace threadleak
