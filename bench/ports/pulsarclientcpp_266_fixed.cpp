// Port: apache/pulsar-client-cpp#266 ("Fix deadlock for negative acknowledgment")
//   A consumer's NegativeAcksTracker keeps the nacked message ids under its
//   mutex_ and arms a deadline timer on the client's IO ExecutorService. When
//   the timer fires, handleTimer() runs on the IO thread, still holding
//   mutex_, and hands the expired ids to ConsumerImpl::redeliverMessages(),
//   which runs the user's ConsumerInterceptor::onNegativeAcksSend() (a
//   shared_ptr reached through the consumer's ConsumerInterceptors). An
//   application thread that holds its own mutex and calls
//   consumer.negativeAcknowledge() needs mutex_ in NegativeAcksTracker::add(),
//   while the interceptor on the IO thread waits for the application's mutex:
//   the tracker's mutex is held across a call into user code.
// Style: (a) Boost.Asio (ExecutorService = io_context + work guard + IO thread, a steady_timer armed with async_wait and a handler bound to the tracker), pulsar's classes reduced: ConsumerImpl, NegativeAcksTracker, ConsumerInterceptors holding shared_ptr<ConsumerInterceptor>
// Bug class: lock: AB-BA through a user callback (the tracker's mutex_ held while the interceptor takes the application's mutex; the application's mutex held while add() takes mutex_)
// Shape: main nacks message 1; about 120 ms later the timer fires and the IO
//   thread, holding mutex_, enters onNegativeAcksSend(), which signals
//   `during_intercept` and sleeps 200 ms before locking the application's
//   g_app_mutex. Meanwhile the application thread sees the flag, locks
//   g_app_mutex and nacks message 2: add() waits for mutex_, the interceptor
//   waits for g_app_mutex, and main's join of the application thread hangs.
// Fix: handleTimer() collects the expired ids under mutex_, releases it, and
//   only then calls redeliverMessages(); the timer becomes a const member
//   created once, so mutex_ guards only nackedMessages_.
#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using MessageId = long;

// pulsar's ExecutorService: one io_context served by one IO thread.
class ExecutorService {
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread worker_;

public:
  ExecutorService() : work_(asio::make_work_guard(io_)), worker_([this] { io_.run(); }) {}
  std::shared_ptr<asio::steady_timer> createDeadlineTimer() { return std::make_shared<asio::steady_timer>(io_); }
  template <typename F> void postWork(F &&f) { asio::post(io_, std::forward<F>(f)); }
  void close() {
    work_.reset();
    io_.stop();
    if (worker_.joinable())
      worker_.join();
  }
};
using ExecutorServicePtr = std::shared_ptr<ExecutorService>;

class ConsumerImpl;

class ConsumerInterceptor {
public:
  virtual ~ConsumerInterceptor() = default;
  virtual void onNegativeAcksSend(const ConsumerImpl &consumer, const std::set<MessageId> &ids) = 0;
};

class ConsumerInterceptors {
  std::vector<std::shared_ptr<ConsumerInterceptor>> interceptors_;

public:
  explicit ConsumerInterceptors(std::vector<std::shared_ptr<ConsumerInterceptor>> v) : interceptors_(std::move(v)) {}
  void onNegativeAcksSend(const ConsumerImpl &consumer, const std::set<MessageId> &ids) {
    for (auto &i : interceptors_)
      i->onNegativeAcksSend(consumer, ids);
  }
};

class NegativeAcksTracker {
  ConsumerImpl &consumer_;
  std::mutex mutex_;
  std::chrono::milliseconds nackDelay_{100};
  std::chrono::milliseconds timerInterval_{40};
  ExecutorServicePtr executor_;
  const std::shared_ptr<asio::steady_timer> timer_; // created once, used only on the IO thread
  std::map<MessageId, Clock::time_point> nackedMessages_; // mutex_ guards these two
  bool timerArmed_ = false;
  std::atomic<bool> closed_{false};

  void scheduleTimer() { // on the IO thread
    if (closed_)
      return;
    timer_->expires_after(timerInterval_);
    timer_->async_wait([this](const boost::system::error_code &ec) { handleTimer(ec); });
  }

public:
  NegativeAcksTracker(ExecutorServicePtr executor, ConsumerImpl &consumer)
      : consumer_(consumer), executor_(std::move(executor)), timer_(executor_->createDeadlineTimer()) {}
  void handleTimer(const boost::system::error_code &ec);
  void add(MessageId m) {
    bool arm = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      nackedMessages_[m] = Clock::now() + nackDelay_;
      if (!timerArmed_)
        arm = timerArmed_ = true;
    }
    if (arm)
      executor_->postWork([this] { scheduleTimer(); });
  }
  void close() {
    closed_ = true;
    executor_->postWork([t = timer_] { t->cancel(); });
  }
};

class ConsumerImpl {
  std::shared_ptr<ConsumerInterceptors> interceptors_;
  NegativeAcksTracker negativeAcksTracker_;

public:
  ConsumerImpl(ExecutorServicePtr executor, std::shared_ptr<ConsumerInterceptors> interceptors)
      : interceptors_(std::move(interceptors)), negativeAcksTracker_(std::move(executor), *this) {}
  void negativeAcknowledge(MessageId id) { negativeAcksTracker_.add(id); }
  void redeliverMessages(const std::set<MessageId> &ids) {
    interceptors_->onNegativeAcksSend(*this, ids);
    std::printf("redeliver %zu message(s)\n", ids.size()); // the CommandRedeliverUnacknowledgedMessages
  }
  void close() { negativeAcksTracker_.close(); }
};

void NegativeAcksTracker::handleTimer(const boost::system::error_code &ec) {
  if (ec)
    return; // cancelled
  std::set<MessageId> messagesToRedeliver;
  bool rearm;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto now = Clock::now();
    for (auto it = nackedMessages_.begin(); it != nackedMessages_.end();) {
      if (it->second < now) {
        messagesToRedeliver.insert(it->first);
        it = nackedMessages_.erase(it);
      } else {
        ++it;
      }
    }
    rearm = timerArmed_ = !nackedMessages_.empty();
  } // mutex_ is released before any user code runs
  if (!messagesToRedeliver.empty())
    consumer_.redeliverMessages(messagesToRedeliver);
  if (rearm)
    scheduleTimer();
}

// The application's interceptor and its own lock (the reproducer).
static std::mutex g_app_mutex;
static std::atomic<bool> during_intercept{false};

class MyConsumerInterceptor : public ConsumerInterceptor {
public:
  void onNegativeAcksSend(const ConsumerImpl &, const std::set<MessageId> &ids) override {
    std::printf("onNegativeAcksSend for %zu id(s)\n", ids.size());
    during_intercept = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200)); // let the application nack meanwhile
    std::lock_guard<std::mutex> lock(g_app_mutex);
  }
};

int main() {
  auto executor = std::make_shared<ExecutorService>();
  auto interceptors = std::make_shared<ConsumerInterceptors>(
      std::vector<std::shared_ptr<ConsumerInterceptor>>{std::make_shared<MyConsumerInterceptor>()});
  auto consumer = std::make_shared<ConsumerImpl>(executor, interceptors);

  consumer->negativeAcknowledge(1);

  std::thread application([&] {
    while (!during_intercept)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::lock_guard<std::mutex> lock(g_app_mutex);
    consumer->negativeAcknowledge(2);
  });
  application.join();

  std::this_thread::sleep_for(std::chrono::milliseconds(300)); // message 2 is redelivered too
  consumer->close();
  executor->close();
  std::printf("done\n");
  return 0;
}
