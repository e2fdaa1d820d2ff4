// Port: pachyderm/pachyderm#4908 ("Fix goroutine leak in PutFile after protocol error")
//   PutFile streams files in several requests: a request naming a file opens
//   an io.Pipe and starts an errgroup goroutine that takes a unit of the
//   putFileLimiter and uploads what it reads from the pipe; the following
//   requests write their bytes into the pipe; the end of the stream closes
//   the pipe and waits for the group. A protocol error after a file was
//   declared returned straight away: the pipe was never closed, so the
//   uploader read forever and kept its limiter unit. Once the limiter (100
//   units) was used up by such requests, every later upload blocked.
// Style: (d) standard library only (std::thread, std::counting_semaphore as the limiter, an errgroup on std::thread, a hand-written io.Pipe on std::mutex + std::condition_variable)
// Bug class: missing close on an error path (the pipe's writer end is left open), so the reader waits forever
// Shape: the first PutFile declares a file, writes a chunk, then sends a
//   malformed request: putFiles() returns the error without closing the
//   pipe or waiting for the group. Its uploader waits in Read() for data or
//   EOF that never come, holding the limiter's only unit; the next, valid
//   PutFile's uploader waits for the limiter forever, and so does its
//   putFiles() in Wait().
// Fix: the pipe is closed (with the error, if any) and the group waited for
//   in deferred code, on every way out of putFiles() (here: a scope guard).
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

// io.Pipe: Write() returns once the reader has taken the bytes; Read()
// returns false at EOF or when the writer closed it with an error.
class Pipe {
public:
  void Write(std::string b) {
    std::unique_lock lk(mu_);
    chunks_.push_back(std::move(b));
    cv_.notify_all();
    cv_.wait(lk, [&] { return chunks_.empty() || closed_; });
  }
  bool Read(std::string &out, std::string &err) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !chunks_.empty() || closed_; });
    if (chunks_.empty()) {
      err = err_;
      return false;
    }
    out = std::move(chunks_.front());
    chunks_.pop_front();
    cv_.notify_all();
    return true;
  }
  void CloseWithError(std::string err) { // the first close wins
    std::lock_guard lk(mu_);
    if (closed_)
      return;
    closed_ = true;
    err_ = std::move(err);
    cv_.notify_all();
  }
  void Close() { CloseWithError(""); }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  bool closed_ = false;
  std::string err_;
};

// errgroup.Group. A group nobody waits for leaves its goroutines running.
class ErrGroup {
public:
  ~ErrGroup() {
    for (auto &t : threads_)
      if (t.joinable())
        t.detach();
  }
  void Go(std::function<std::string()> f) {
    threads_.emplace_back([this, f] {
      std::string err = f();
      std::lock_guard lk(mu_);
      if (err_.empty())
        err_ = err;
    });
  }
  std::string Wait() {
    for (auto &t : threads_)
      if (t.joinable())
        t.join();
    return err_;
  }

private:
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::string err_;
};

struct PutFileRequest {
  std::string path;  // set on the request that declares a file
  std::string value; // the bytes of the current file
  bool malformed = false;
};

class Driver {
public:
  std::string putFiles(const std::vector<PutFileRequest> &stream) {
    ErrGroup eg;
    std::shared_ptr<Pipe> pw;
    for (const PutFileRequest &req : stream) {
      if (req.malformed)
        return "protocol error: unexpected request";
      if (!req.path.empty()) {
        if (pw)
          pw->Close();
        pw = std::make_shared<Pipe>();
        eg.Go([this, pr = pw, path = req.path] { return putFile(path, *pr); });
      }
      pw->Write(req.value);
    }
    if (pw)
      pw->Close();
    return eg.Wait();
  }

  std::map<std::string, std::string> files;

private:
  std::string putFile(const std::string &path, Pipe &r) {
    putFileLimiter_.acquire(); // LEAK: the leaked uploader of the failed request holds the only unit
    std::string data, chunk, err;
    while (r.Read(chunk, err)) // LEAK: the failed request's pipe is never closed
      data += chunk;
    putFileLimiter_.release();
    if (!err.empty())
      return err;
    std::lock_guard lk(mu_);
    files[path] = data;
    return "";
  }

  std::counting_semaphore<100> putFileLimiter_{1}; // 100 units upstream
  std::mutex mu_;
};

int main() {
  Driver d;
  d.putFiles({{"/a", "hello "}, {"", "", true}}); // declares a file, then breaks the protocol
  d.putFiles({{"/b", "world"}});                  // a valid upload
}
