#pragma once
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

// The service's own channel: pop() blocks until an item arrives or close()
// is called. threadleak learns what these operations do from
// examples/.threadleak.yaml.
template <class T> class WorkQueue {
public:
  void push(T v) {
    {
      std::lock_guard lk(m_);
      items_.push_back(std::move(v));
    }
    cv_.notify_one();
  }
  std::optional<T> pop() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return closed_ || !items_.empty(); });
    if (items_.empty())
      return std::nullopt;
    T v = std::move(items_.front());
    items_.pop_front();
    return v;
  }
  void close() {
    {
      std::lock_guard lk(m_);
      closed_ = true;
    }
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool closed_ = false;
};
