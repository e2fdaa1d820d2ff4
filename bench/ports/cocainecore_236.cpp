// Port: cocaine/cocaine-core#236 ("Fix(engine): fixed infinite hanging on engine shutdown.")
//   The app engine runs its own event loop on a thread and keeps a repeating
//   timer on it; its destructor posts the stop to the loop and joins the
//   thread, relying on stop() cancelling the timer so that the loop runs out
//   of work. "Just canceling timer is not enough to be sure that it's
//   stopped": timer::cancel() returns the number of handlers it cancelled,
//   and when the expiry has already been posted to the event loop it cancels
//   none; the completion handler then runs with success and reschedules the
//   timer again, so the loop never runs out of work and the join hangs.
// Style: (a) Boost.Asio (boost::asio::io_context run on the engine's thread, steady_timer with async_wait, boost::asio::post; cocaine used standalone asio)
// Bug class: event loop without exit: a self-rearming handler keeps io_context::run() alive after shutdown; the owner joins its thread
// Shape: the engine's loop thread is busy with a long session handler while
//   the repeating timer (the port's "balance" timer) expires; the
//   destructor posts migrate(stopping) and joins. When the session ends the
//   loop collects the expired timer behind the stop handler; stop() calls
//   cancel(), which finds nothing to cancel, then on_balance() runs with
//   success and re-arms the timer. run() keeps serving the timer forever
//   and the destructor waits in join().
// Fix: the engine tracks the timer's lifetime explicitly: stop() marks it
//   stopped, and the handler checks that mark before it waits again.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct profile_t {
  std::string name;
  std::chrono::milliseconds balance_interval;
};

struct slave_t {
  std::string id;
  unsigned load = 0;
};

class engine_t {
public:
  enum class states { running, stopping, stopped };

  explicit engine_t(const profile_t &profile) : m_profile(profile), m_balance_timer(m_loop) {
    schedule_balance();
    m_thread = std::thread(&engine_t::run, this);
  }

  ~engine_t() {
    asio::post(m_loop, [this] { migrate(states::stopping); });
    if (m_thread.joinable()) {
      m_thread.join(); // LEAK: the balance timer re-armed itself after stop(); the loop never runs out of work
    }
  }

  // Hands an event to a slave; the session occupies the loop for a while.
  void enqueue(const std::string &event) {
    asio::post(m_loop, [this, event] {
      auto &slave = m_pool[event];
      slave.id = event;
      ++slave.load;
      std::this_thread::sleep_for(50ms); // (the session is processed on the loop thread)
      --slave.load;
    });
  }

private:
  void run() {
    m_state = states::running;
    m_loop.run(); // LEAK: never runs out of work
    m_state = states::stopped;
  }

  void schedule_balance() {
    m_balance_timer.expires_after(m_profile.balance_interval);
    m_balance_timer.async_wait([this](const boost::system::error_code &ec) { on_balance(ec); });
  }

  void on_balance(const boost::system::error_code &ec) {
    if (ec == asio::error::operation_aborted) {
      return;
    }
    balance();
    schedule_balance();
  }

  // Grows or shrinks the slave pool to the queue's needs.
  void balance() {
    for (auto it = m_pool.begin(); it != m_pool.end();) {
      if (it->second.load == 0)
        it = m_pool.erase(it);
      else
        ++it;
    }
  }

  void migrate(states target) {
    m_state = target;
    stop();
  }

  void stop() {
    m_balance_timer.cancel();
    // NOTE: This will force the slave pool termination.
    m_pool.clear();
    // Don't stop the event loop explicitly: cancel the handlers and let it
    // run out of work.
  }

  profile_t m_profile;
  asio::io_context m_loop;
  asio::steady_timer m_balance_timer;
  std::map<std::string, slave_t> m_pool;
  std::atomic<states> m_state{states::stopped};
  std::thread m_thread;
};

int main() {
  auto engine = std::make_unique<engine_t>(profile_t{"echo", 10ms});
  std::this_thread::sleep_for(1ms);
  engine->enqueue("ping");
  std::this_thread::sleep_for(20ms); // the session is running and the balance timer has expired
  engine.reset();                    // the app is stopped
  return 0;
}
