// GoKer port: goker/cockroach9935.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#9935, fix ed6a100)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::mutex, std::error_code)
// Bug class: lock: double locking on an error path (the error handler takes the lock the caller holds)
// Shape: the logger's outputLogEntry() takes l.mu and creates the log file;
//   when that fails it calls exit(err), which takes l.mu again on the same
//   thread and blocks forever. (The Go kernel fails 3 times in 4 at random;
//   here the file creation always fails, as the 100 goroutines made sure.)
// Fix: outputLogEntry() releases l.mu before calling exit(err).
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

class Logging {
public:
  void outputLogEntry() {
    mu_.lock();
    if (std::error_code err = createFile()) {
      mu_.unlock();
      exit(err);
      return;
    }
    mu_.unlock();
  }

private:
  std::error_code createFile() {
    // the log directory is not writable
    return std::make_error_code(std::errc::permission_denied);
  }

  void exit(std::error_code /*err*/) {
    std::lock_guard<std::mutex> lock(mu_);
    // flush the buffered entries and terminate
  }

  std::mutex mu_;
};

int main() {
  Logging l;
  std::thread g1([&l] { l.outputLogEntry(); }); // G1
  g1.join();
}
