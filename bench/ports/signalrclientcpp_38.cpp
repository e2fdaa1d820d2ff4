// Port: aspnet/SignalR-Client-Cpp#38 ("fixed deadlock on Stop when in
//   connecting state", fixing dotnet/aspnetcore#25729)
//   connection_impl::start() moves the connection to `connecting`, resets the
//   m_start_completed_event cancellation_token and starts negotiation on the
//   HTTP client's thread. stop() runs shutdown(), which takes m_stop_lock,
//   cancels m_disconnect_cts and then waits on m_start_completed_event
//   (`while (m_start_completed_event.wait(60000) != 0)`) for the start to
//   finish. Only the transport callback of start_negotiate() cancels that
//   event; when the negotiate request itself fails (the server is not
//   running) the callback sets the state back to `disconnected` and reports
//   the error to the user but never signals m_start_completed_event, so
//   stop() waits forever and its completion callback is never called.
// Style: (d) standard library: the project's cancellation_token
//   (std::mutex + std::condition_variable), std::thread for the HTTP client
//   and the stop continuation, std::promise/std::future in the application
// Bug class: a waiter whose only wake-up is on the success path: an error
//   path returns without signalling the event stop() waits on
// Shape: main calls start() (negotiate in flight, fails at 100 ms) and at
//   20 ms stop(); shutdown() waits on m_start_completed_event; the negotiate
//   error path sets `disconnected` and calls the start callback without
//   cancelling the event, so shutdown() loops in wait(60000) forever and main
//   never gets the stop result.
// Fix: the negotiate error paths (and the other early returns of
//   start_negotiate()) call m_start_completed_event.cancel() before invoking
//   the callback, as the transport path already did.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace signalr {
class canceled_exception : public std::exception {};

class cancellation_token {
public:
    static const unsigned int timeout_infinite = 0xFFFFFFFF;
    void cancel() {
        std::lock_guard<std::mutex> lock(m_lock);
        m_signaled = true;
        m_condition.notify_all();
    }
    void reset() {
        std::lock_guard<std::mutex> lock(m_lock);
        m_signaled = false;
    }
    bool is_canceled() const { return m_signaled; }
    unsigned int wait(unsigned int timeout) {
        std::unique_lock<std::mutex> lock(m_lock);
        const auto status = m_condition.wait_for(lock, std::chrono::milliseconds(timeout),
                                                 [this]() noexcept { return m_signaled.load(); });
        return status ? 0 : timeout_infinite;
    }
private:
    std::mutex m_lock;
    std::condition_variable m_condition;
    std::atomic<bool> m_signaled{false};
};

enum class connection_state { connecting, connected, disconnecting, disconnected };

struct negotiation_response { std::string connectionId; std::string error; };

class http_client {
public:
    virtual ~http_client() = default;
    virtual void send(const std::string& url, std::function<void(const std::string&, std::exception_ptr)> callback) = 0;
};

// cpprestsdk-based client: the request completes on another thread
class default_http_client : public http_client {
public:
    ~default_http_client() override { for (auto& t : m_requests) t.join(); }
    void send(const std::string& url, std::function<void(const std::string&, std::exception_ptr)> callback) override {
        m_requests.emplace_back([url, callback]() {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));   // TCP connect to a dead server
            callback("", std::make_exception_ptr(std::runtime_error("Failed to connect to " + url)));
        });
    }
private:
    std::vector<std::thread> m_requests;
};

namespace negotiate {
void negotiate(http_client& client, const std::string& base_url,
               std::function<void(negotiation_response&&, std::exception_ptr)> callback) {
    client.send(base_url + "/negotiate?negotiateVersion=1", [callback](const std::string& body, std::exception_ptr e) {
        if (e) { callback({}, e); return; }
        callback(negotiation_response{body, ""}, nullptr);
    });
}
}

class connection_impl : public std::enable_shared_from_this<connection_impl> {
public:
    explicit connection_impl(std::string url)
        : m_base_url(std::move(url)), m_connection_state(connection_state::disconnected),
          m_http_client(new default_http_client()), m_disconnected([] {}) {}

    void start(std::function<void(std::exception_ptr)> callback) noexcept {
        {
            std::lock_guard<std::mutex> lock(m_stop_lock);
            if (!change_state(connection_state::disconnected, connection_state::connecting)) {
                callback(std::make_exception_ptr(std::runtime_error("cannot start a connection that is not in the disconnected state")));
                return;
            }
            m_disconnect_cts = std::make_shared<cancellation_token>();
            m_start_completed_event.reset();
        }
        start_negotiate(m_base_url, callback);
    }

    void stop(std::function<void(std::exception_ptr)> callback) noexcept {
        auto connection = shared_from_this();
        shutdown([connection, callback](std::exception_ptr exception) {
            std::thread([connection, callback, exception]() {
                if (exception) { callback(exception); return; }
                {
                    std::lock_guard<std::mutex> lock(connection->m_stop_lock);
                    connection->change_state(connection_state::disconnecting, connection_state::disconnected);
                }
                connection->m_disconnected();
                callback(nullptr);
            }).detach();
        });
    }

private:
    void start_negotiate(const std::string& url, std::function<void(std::exception_ptr)> callback) {
        std::weak_ptr<connection_impl> weak_connection = shared_from_this();
        auto token = m_disconnect_cts;
        negotiate::negotiate(*m_http_client, url,
            [callback, weak_connection, token](negotiation_response&& response, std::exception_ptr exception) {
                auto connection = weak_connection.lock();
                if (!connection) { callback(std::make_exception_ptr(std::runtime_error("connection no longer exists"))); return; }
                if (exception != nullptr) {
                    std::printf("[error] connection could not be started\n");
                    connection->change_state(connection_state::disconnected);
                    callback(exception);
                    return;
                }
                if (!response.error.empty() || token->is_canceled()) {
                    connection->change_state(connection_state::disconnected);
                    callback(std::make_exception_ptr(canceled_exception()));
                    return;
                }
                // start_transport(): websocket connected
                connection->change_state(connection_state::connecting, connection_state::connected);
                connection->m_start_completed_event.cancel();
                callback(nullptr);
            });
    }

    void shutdown(std::function<void(std::exception_ptr)> callback) {
        std::lock_guard<std::mutex> lock(m_stop_lock);
        const auto current_state = m_connection_state.load();
        if (current_state == connection_state::disconnected) { callback(nullptr); return; }
        if (current_state == connection_state::disconnecting) { callback(std::make_exception_ptr(canceled_exception())); return; }

        // we request a cancellation of the ongoing start (if any) and wait until it is canceled
        m_disconnect_cts->cancel();
        while (m_start_completed_event.wait(60000) != 0) { // LEAK
            std::printf("[error] internal error - stopping the connection is still waiting for the start operation\n");
        }
        if (m_connection_state == connection_state::disconnected) { callback(nullptr); return; }
        change_state(connection_state::disconnecting);
        callback(nullptr);   // m_transport->stop(callback)
    }

    bool change_state(connection_state old_state, connection_state new_state) {
        return m_connection_state.compare_exchange_strong(old_state, new_state);
    }
    connection_state change_state(connection_state new_state) { return m_connection_state.exchange(new_state); }

    std::string m_base_url;
    std::atomic<connection_state> m_connection_state;
    std::unique_ptr<http_client> m_http_client;
    std::function<void()> m_disconnected;
    std::shared_ptr<cancellation_token> m_disconnect_cts;
    std::mutex m_stop_lock;
    cancellation_token m_start_completed_event;
};
}  // namespace signalr

int main() {
    // the SignalR server is NOT running
    auto connection = std::make_shared<signalr::connection_impl>("https://localhost:5001/signaling");
    connection->start([](std::exception_ptr exception) {
        try { if (exception) std::rethrow_exception(exception); }
        catch (const std::exception& ex) { std::printf("exception when starting connection: %s\n", ex.what()); }
    });

    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::promise<void> taskStop;
    connection->stop([&taskStop](std::exception_ptr exception) {
        if (exception) taskStop.set_exception(exception); else taskStop.set_value();
    });
    taskStop.get_future().get();
    std::printf("server connection stopped successfully\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));   // let the stop continuation unwind
    return 0;
}
