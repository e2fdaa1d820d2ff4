// Port: ros/ros_comm#2121 ("Fix for deadlock issue 1980")
//   roscpp's CallbackQueue runs each callback while holding a shared lock on
//   the per-removal-id IDInfo::calling_rw_mutex (callOneCB()), and
//   removeByID() takes that rw mutex exclusively so that no callback of the
//   id is still running when it returns. ros::Timer::stop() ends in
//   TimerManager::remove() -> CallbackQueue::removeByID(). In #1980 a spinner
//   thread runs timerCallback(), which locks the node's mutex, while another
//   thread holding that mutex calls timer.stop(): removeByID() waits for the
//   exclusive rw lock while the callback holds it shared and waits for the
//   node's mutex.
// Style: (b) Boost.Thread (boost::thread / boost::thread_group spinners,
//   boost::mutex, boost::shared_mutex with boost::shared_lock /
//   boost::unique_lock, boost::condition_variable, boost::thread_specific_ptr)
// Bug class: lock-order inversion through a callback: a library rw lock held
//   around user code that takes a user lock, and a user thread holding that
//   lock while it asks the library for the rw lock exclusively
// Shape: main locks Controller::state_mutex_ at t=0; the timer fires at 50 ms
//   and a spinner thread enters timerCallback() holding the shared
//   calling_rw_mutex and blocks on state_mutex_; at 80 ms main calls
//   timer_.stop() -> removeByID() and blocks on the exclusive
//   calling_rw_mutex.
// Fix: removeByID() only try_lock()s the rw mutex exclusively; if a callback
//   of that id is executing, it marks the queued callbacks of the id
//   marked_for_removal (callOne() drops them later) instead of waiting.
#include <boost/thread.hpp>   // thread, mutex, shared_mutex, condition_variable, tss
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
namespace ros {
struct CallbackInterface { virtual ~CallbackInterface() = default; virtual void call() = 0; };
typedef std::shared_ptr<CallbackInterface> CallbackInterfacePtr;

class CallbackQueue {
public:
    enum CallOneResult { Called, TryAgain, Disabled, Empty };
    void addCallback(const CallbackInterfacePtr& callback, uint64_t removal_id) {
        {
            boost::mutex::scoped_lock lock(mutex_);
            if (!enabled_) return;
            callbacks_.push_back(CallbackInfo{callback, removal_id, false});
        }
        {
            boost::mutex::scoped_lock lock(id_info_mutex_);
            if (id_info_.find(removal_id) == id_info_.end())
                id_info_.insert(std::make_pair(removal_id, IDInfoPtr(new IDInfo{removal_id, {}})));
        }
        condition_.notify_one();
    }
    void removeByID(uint64_t removal_id) {
        setupTLS();
        {
            IDInfoPtr id_info;
            {
                boost::mutex::scoped_lock lock(id_info_mutex_);
                M_IDInfo::iterator it = id_info_.find(removal_id);
                if (it == id_info_.end()) return;
                id_info = it->second;
            }
            // If we're called from within a callback of our queue, drop the shared lock we own.
            if (tls_->calling_in_this_thread == id_info->id) id_info->calling_rw_mutex.unlock_shared();
            {
                boost::unique_lock<boost::shared_mutex> rw_lock(id_info->calling_rw_mutex, boost::defer_lock);
                if (rw_lock.try_lock()) {
                    boost::mutex::scoped_lock lock(mutex_);
                    for (D_CallbackInfo::iterator it = callbacks_.begin(); it != callbacks_.end();) {
                        if (it->removal_id == removal_id) it = callbacks_.erase(it);
                        else ++it;
                    }
                } else {
                    // A callback of this id is executing: defer the removal, callOne() drops marked entries.
                    boost::mutex::scoped_lock lock(mutex_);
                    for (CallbackInfo& info : callbacks_)
                        if (info.removal_id == removal_id) info.marked_for_removal = true;
                }
            }
            if (tls_->calling_in_this_thread == id_info->id) id_info->calling_rw_mutex.lock_shared();
        }
        for (CallbackInfo& info : tls_->callbacks)
            if (info.removal_id == removal_id) info.marked_for_removal = true;
        boost::mutex::scoped_lock lock(id_info_mutex_);
        id_info_.erase(removal_id);
    }
    CallOneResult callOne(boost::posix_time::time_duration timeout) {
        setupTLS();
        TLS* tls = tls_.get();
        CallbackInfo cb_info;
        {
            boost::mutex::scoped_lock lock(mutex_);
            if (!enabled_) return Disabled;
            if (callbacks_.empty()) {
                condition_.timed_wait(lock, timeout);
                if (callbacks_.empty()) return Empty;
                if (!enabled_) return Disabled;
            }
            for (D_CallbackInfo::iterator it = callbacks_.begin(); it != callbacks_.end();) {
                if (it->marked_for_removal) { it = callbacks_.erase(it); continue; }
                cb_info = *it;
                callbacks_.erase(it);
                break;
            }
            if (!cb_info.callback) return TryAgain;
        }
        tls->callbacks.push_back(cb_info);
        return callOneCB(tls);
    }
    void disable() { boost::mutex::scoped_lock lock(mutex_); enabled_ = false; condition_.notify_all(); }
private:
    struct CallbackInfo { CallbackInterfacePtr callback; uint64_t removal_id; bool marked_for_removal; };
    typedef std::deque<CallbackInfo> D_CallbackInfo;
    struct IDInfo { uint64_t id; boost::shared_mutex calling_rw_mutex; };
    typedef std::shared_ptr<IDInfo> IDInfoPtr;
    typedef std::map<uint64_t, IDInfoPtr> M_IDInfo;
    struct TLS { uint64_t calling_in_this_thread = 0xffffffffffffffffULL; D_CallbackInfo callbacks; };
    void setupTLS() { if (!tls_.get()) tls_.reset(new TLS); }
    IDInfoPtr getIDInfo(uint64_t id) {
        boost::mutex::scoped_lock lock(id_info_mutex_);
        M_IDInfo::iterator it = id_info_.find(id);
        return it != id_info_.end() ? it->second : IDInfoPtr();
    }
    CallOneResult callOneCB(TLS* tls) {
        CallbackInfo info = tls->callbacks.front();
        tls->callbacks.pop_front();
        IDInfoPtr id_info = getIDInfo(info.removal_id);
        if (id_info) {
            boost::shared_lock<boost::shared_mutex> rw_lock(id_info->calling_rw_mutex);
            uint64_t last_calling = tls->calling_in_this_thread;
            tls->calling_in_this_thread = id_info->id;
            if (!info.marked_for_removal) info.callback->call();
            tls->calling_in_this_thread = last_calling;
        }
        return Called;
    }
    boost::mutex mutex_;
    boost::condition_variable condition_;
    D_CallbackInfo callbacks_;
    bool enabled_ = true;
    boost::mutex id_info_mutex_;
    M_IDInfo id_info_;
    boost::thread_specific_ptr<TLS> tls_;
};

// TimerManager: its thread pushes a TimerQueueCallback when a timer expires
class TimerManager {
public:
    struct TimerInfo {
        boost::posix_time::ptime next_expected;
        boost::posix_time::time_duration period;
        std::function<void()> callback;
        CallbackQueue* callback_queue;
    };
    typedef std::shared_ptr<TimerInfo> TimerInfoPtr;
    struct TimerQueueCallback : CallbackInterface {
        explicit TimerQueueCallback(std::function<void()> cb) : cb_(std::move(cb)) {}
        void call() override { cb_(); }   // runs the user's timer callback
        std::function<void()> cb_;
    };
    TimerManager() : thread_([this] { threadFunc(); }) {}
    ~TimerManager() {
        { boost::mutex::scoped_lock lock(timers_mutex_); quit_ = true; }
        timers_cond_.notify_all();
        thread_.join();
    }
    uint64_t add(boost::posix_time::time_duration period, std::function<void()> cb, CallbackQueue* queue) {
        TimerInfoPtr info(new TimerInfo{boost::get_system_time() + period, period, std::move(cb), queue});
        boost::mutex::scoped_lock lock(timers_mutex_);
        timers_[(uint64_t)info.get()] = info;
        timers_cond_.notify_all();
        return (uint64_t)info.get();
    }
    void remove(uint64_t handle) {
        CallbackQueue* queue = nullptr;
        {
            boost::mutex::scoped_lock lock(timers_mutex_);
            auto it = timers_.find(handle);
            if (it == timers_.end()) return;
            queue = it->second->callback_queue;
            timers_.erase(it);
        }
        queue->removeByID(handle);
    }
private:
    void threadFunc() {
        boost::mutex::scoped_lock lock(timers_mutex_);
        while (!quit_) {
            boost::posix_time::ptime now = boost::get_system_time();
            boost::posix_time::ptime wake = now + boost::posix_time::milliseconds(100);
            for (auto& kv : timers_) {
                TimerInfoPtr info = kv.second;
                if (info->next_expected <= now) {
                    info->callback_queue->addCallback(std::make_shared<TimerQueueCallback>(info->callback), kv.first);
                    info->next_expected += info->period;
                }
                if (info->next_expected < wake) wake = info->next_expected;
            }
            timers_cond_.timed_wait(lock, wake);
        }
    }
    boost::mutex timers_mutex_;
    boost::condition_variable timers_cond_;
    std::map<uint64_t, TimerInfoPtr> timers_;
    bool quit_ = false;
    boost::thread thread_;
};

struct Timer {   // ros::Timer::stop() -> TimerManager::remove()
    TimerManager* tm_;
    uint64_t handle_;
    void stop() { tm_->remove(handle_); }
};
}  // namespace ros

// the node: every callback takes state_mutex_ first
class Controller {
public:
    Controller(ros::TimerManager& tm, ros::CallbackQueue& queue)
        : timer_{&tm, tm.add(boost::posix_time::milliseconds(50), [this] { timerCallback(); }, &queue)} {}
    void timerCallback() { boost::mutex::scoped_lock lock(state_mutex_); ++ticks_; }
    void shutdownRequest() {   // e.g. a service call handled on another thread
        boost::mutex::scoped_lock lock(state_mutex_);
        boost::this_thread::sleep(boost::posix_time::milliseconds(80));   // save state
        timer_.stop();
    }
    int ticks_ = 0;
private:
    boost::mutex state_mutex_;
    ros::Timer timer_;
};

int main() {
    ros::CallbackQueue queue;
    ros::TimerManager timer_manager;
    Controller controller(timer_manager, queue);
    boost::thread_group spinner;   // AsyncSpinner(2)
    for (int i = 0; i < 2; ++i)
        spinner.create_thread([&queue] {
            while (queue.callOne(boost::posix_time::milliseconds(10)) != ros::CallbackQueue::Disabled) {}
        });
    controller.shutdownRequest();
    boost::this_thread::sleep(boost::posix_time::milliseconds(20));
    queue.disable();   // ros::shutdown()
    spinner.join_all();
    std::printf("timer stopped after %d ticks\n", controller.ticks_);
    return 0;
}
