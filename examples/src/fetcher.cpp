#include "work_queue.h"
#include <string>
#include <thread>
#include <vector>

void download(const std::string &url) { (void)url; }

// threadleak-channel-recv-no-close: the early return leaves the worker
// blocked in pop() forever (and ~thread() on a joinable thread terminates).
void fetch_all(const std::vector<std::string> &urls) {
  WorkQueue<std::string> jobs;
  std::thread worker([&jobs] {
    while (auto url = jobs.pop())
      download(*url);
  });
  for (const auto &u : urls) {
    if (u.empty())
      return;
    jobs.push(u);
  }
  jobs.close();
  worker.join();
}

// Fixed: every way out of the loop reaches close() and join().
void fetch_all_fixed(const std::vector<std::string> &urls) {
  WorkQueue<std::string> jobs;
  std::thread worker([&jobs] {
    while (auto url = jobs.pop())
      download(*url);
  });
  for (const auto &u : urls) {
    if (u.empty())
      break;
    jobs.push(u);
  }
  jobs.close();
  worker.join();
}
