// Port: ros2/rclcpp#2886 ("fix: Don't deadlock if removing shutdown callbacks in a shutdown callback")
//   rclcpp::Context::shutdown() runs every registered on-shutdown callback
//   while it holds on_shutdown_callbacks_mutex_, a plain std::mutex. A
//   callback that removes a shutdown callback (directly, or by destroying an
//   object whose destructor unregisters itself, as rclcpp::Executor does)
//   calls Context::remove_on_shutdown_callback(), which locks the same mutex
//   again on the same thread. The thread that runs shutdown() (here the
//   deferred signal-handler thread, on SIGINT) blocks on itself forever, and
//   whoever waits for it (the signal handler's uninstall(), the process exit)
//   waits with it.
// Style: (d) standard library only, C++-native (rclcpp's idiom reduced: a Context with add/remove_on_shutdown_callback returning weak handles, an Executor that registers a shutdown callback in its constructor and removes it in its destructor, a node owning its executor and spin thread, a SignalHandler with a deferred handler thread)
// Bug class: self-deadlock through a callback: a non-recursive mutex held while calling user callbacks is re-acquired by the callback on the same thread
// Shape: the driver node's on-shutdown callback stops its spin thread and
//   resets its executor; ~Executor() calls remove_on_shutdown_callback(),
//   which locks on_shutdown_callbacks_mutex_ already held by shutdown() on
//   the signal-handler thread. main() raises "SIGINT" after 100 ms and joins
//   the signal-handler thread, which never returns.
// Fix: the callback mutexes become std::recursive_mutex, and shutdown()
//   iterates over a copy of the callback list, calling a callback only if it
//   is still registered.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace rclcpp {

using OnShutdownCallback = std::function<void()>;

struct OnShutdownCallbackHandle {
  std::weak_ptr<OnShutdownCallback> callback;
};

class Context {
public:
  void init() {
    std::lock_guard<std::recursive_mutex> lock(init_mutex_);
    valid_ = true;
  }

  bool is_valid() const {
    std::lock_guard<std::recursive_mutex> lock(init_mutex_);
    return valid_;
  }

  OnShutdownCallbackHandle add_on_shutdown_callback(OnShutdownCallback callback) {
    auto callback_shared_ptr = std::make_shared<OnShutdownCallback>(std::move(callback));
    std::lock_guard<std::recursive_mutex> lock(on_shutdown_callbacks_mutex_);
    on_shutdown_callbacks_.push_back(callback_shared_ptr);
    return OnShutdownCallbackHandle{callback_shared_ptr};
  }

  bool remove_on_shutdown_callback(const OnShutdownCallbackHandle &handle) {
    auto callback_shared_ptr = handle.callback.lock();
    if (!callback_shared_ptr)
      return false;
    std::lock_guard<std::recursive_mutex> lock(on_shutdown_callbacks_mutex_);
    auto it = std::find(on_shutdown_callbacks_.begin(), on_shutdown_callbacks_.end(), callback_shared_ptr);
    if (it == on_shutdown_callbacks_.end())
      return false;
    on_shutdown_callbacks_.erase(it);
    return true;
  }

  bool shutdown(const std::string &reason) {
    std::lock_guard<std::recursive_mutex> init_lock(init_mutex_);
    if (!valid_)
      return false;
    valid_ = false;
    shutdown_reason_ = reason;
    {
      std::lock_guard<std::recursive_mutex> lock(on_shutdown_callbacks_mutex_);
      // callbacks may remove other callbacks while they run: iterate over a
      // copy and call a callback only if it is still registered
      auto cpy = on_shutdown_callbacks_;
      for (const auto &callback : cpy) {
        auto it = std::find(on_shutdown_callbacks_.begin(), on_shutdown_callbacks_.end(), callback);
        if (it != on_shutdown_callbacks_.end())
          (*callback)();
      }
    }
    std::printf("context shut down: %s\n", shutdown_reason_.c_str());
    return true;
  }

private:
  mutable std::recursive_mutex init_mutex_;
  bool valid_ = false;
  std::string shutdown_reason_;
  std::vector<std::shared_ptr<OnShutdownCallback>> on_shutdown_callbacks_;
  std::recursive_mutex on_shutdown_callbacks_mutex_;
};

// rclcpp::Executor: registers "cancel on shutdown" with its context and
// unregisters it when destroyed.
class Executor {
public:
  explicit Executor(std::shared_ptr<Context> context) : context_(std::move(context)) {
    shutdown_callback_handle_ = context_->add_on_shutdown_callback([this] { cancel(); });
  }
  ~Executor() { context_->remove_on_shutdown_callback(shutdown_callback_handle_); }

  void spin() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!cancelled_ && context_->is_valid())
      interrupt_cv_.wait_for(lock, 20ms); // stands for rcl_wait() on the wait set
  }
  void cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    interrupt_cv_.notify_all();
  }

private:
  std::shared_ptr<Context> context_;
  OnShutdownCallbackHandle shutdown_callback_handle_;
  std::mutex mutex_;
  std::condition_variable interrupt_cv_;
  bool cancelled_ = false;
};

// rclcpp::SignalHandler: the real signal handler only wakes the deferred
// thread, which shuts the contexts down.
class SignalHandler {
public:
  explicit SignalHandler(std::shared_ptr<Context> context) : context_(std::move(context)) {}
  void install() {
    deferred_signal_handler_ = std::thread([this] { deferred_signal_handler(); });
  }
  void raise_sigint() {
    std::lock_guard<std::mutex> lock(mutex_);
    signal_received_ = true;
    cv_.notify_all();
  }
  void uninstall() { deferred_signal_handler_.join(); }

private:
  void deferred_signal_handler() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return signal_received_; });
    }
    context_->shutdown("signal handler");
  }
  std::shared_ptr<Context> context_;
  std::thread deferred_signal_handler_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool signal_received_ = false;
};

} // namespace rclcpp

// A camera driver node (as in depthai-ros): owns its executor and spin
// thread, and tears them down from an on-shutdown callback.
class CameraDriverNode {
public:
  explicit CameraDriverNode(std::shared_ptr<rclcpp::Context> context) : context_(std::move(context)) {
    executor_ = std::make_unique<rclcpp::Executor>(context_);
    spin_thread_ = std::thread([this] { executor_->spin(); });
    context_->add_on_shutdown_callback([this] { reset_driver(); });
  }
  ~CameraDriverNode() {
    if (spin_thread_.joinable())
      spin_thread_.join();
  }

private:
  void reset_driver() {
    if (spin_thread_.joinable())
      spin_thread_.join(); // the executor's own callback has cancelled it
    executor_.reset();     // ~Executor() unregisters its shutdown callback
  }
  std::shared_ptr<rclcpp::Context> context_;
  std::unique_ptr<rclcpp::Executor> executor_;
  std::thread spin_thread_;
};

int main() {
  auto context = std::make_shared<rclcpp::Context>();
  context->init();
  rclcpp::SignalHandler signal_handler(context);
  signal_handler.install();
  {
    auto node = std::make_shared<CameraDriverNode>(context);
    std::this_thread::sleep_for(100ms);
    signal_handler.raise_sigint(); // Ctrl-C
    signal_handler.uninstall();
  }
  std::printf("done\n");
  return 0;
}
