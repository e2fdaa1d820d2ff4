// Port: trickstercache/trickster#356, fixed: the count-down runs on every
//   way out of the worker (a guard's destructor, C++'s `defer wg.Done()`).
// Style: (d) standard library only (std::thread, std::latch as the wait group)
#include <latch>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct Origin {
  std::string url;
};
std::optional<std::string> fetch(const Origin &o);

struct CountDown {
  std::latch &l;
  ~CountDown() { l.count_down(); }
};

class Merger {
public:
  std::vector<std::string> fetchAll(const std::vector<Origin> &origins) {
    std::latch done(origins.size());
    std::vector<std::thread> workers;
    for (const Origin &o : origins)
      workers.emplace_back([this, &done, o] {
        CountDown guard{done};
        std::optional<std::string> body = fetch(o);
        if (!body)
          return;
        std::lock_guard<std::mutex> g(mu_);
        bodies_.push_back(*body);
      });
    done.wait();
    for (auto &w : workers)
      w.join();
    return bodies_;
  }

private:
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

int main() {
  Merger m;
  m.fetchAll({{"a"}, {"b"}});
}
