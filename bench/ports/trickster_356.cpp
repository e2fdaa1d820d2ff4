// Port: trickstercache/trickster#356 ("Patch waitgroup leak on multiple
//   return"): a fan-out that adds to a WaitGroup once per origin and calls
//   Done() at the end of each worker; one worker returns early on an error,
//   so Wait() never returns.
// Style: (d) standard library only (std::thread, std::latch as the wait group)
// Bug class: counter: a count-down missing on a worker's error path
// Shape: fetchAll() starts one worker per origin and waits on a latch
//   counted to the number of origins; a worker whose fetch fails returns
//   before its count_down().
// Fix: the count-down runs on every way out of the worker (the Go fix moved
//   wg.Done() into a defer; here a guard's destructor).
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

class Merger {
public:
  std::vector<std::string> fetchAll(const std::vector<Origin> &origins) {
    std::latch done(origins.size());
    std::vector<std::thread> workers;
    for (const Origin &o : origins)
      workers.emplace_back([this, &done, o] {
        std::optional<std::string> body = fetch(o);
        if (!body)
          return; // the worker leaves without counting down
        {
          std::lock_guard<std::mutex> g(mu_);
          bodies_.push_back(*body);
        }
        done.count_down();
      });
    done.wait(); // LEAK: one count-down is missing once a fetch fails
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
