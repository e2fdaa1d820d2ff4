// Port: mavlink/mavros#1679 ("libmavconn: fix deadlock when call close()")
//   libmavconn's MAVConnTCPClient owns an io_service run by its io_thread;
//   do_recv() keeps an async_receive pending and async_receive_end() calls
//   close() on any receive error. close() takes the connection's
//   std::recursive_mutex for its whole body: it shuts down, cancels and
//   closes the socket, drops the io_service::work, stops the io_service and
//   joins io_thread, all under the lock. Closing the socket completes the
//   pending receive with `Operation aborted`; when the io thread picks that
//   completion up before io_service.stop() takes effect, its
//   async_receive_end() calls close() and blocks on the mutex the closing
//   thread holds, while the closing thread waits in io_thread.join() for the
//   io thread to return from run().
// Style: (a) Boost.Asio (io_context + work guard run by an owned std::thread,
//   tcp::socket async_receive, post), std::recursive_mutex as in libmavconn
// Bug class: join under a lock: the thread being joined runs a completion
//   handler that needs the same lock
// Shape: main connects to a local "autopilot" (t=0), a heartbeat is
//   received, and at 60 ms main calls close(): it locks the mutex and closes
//   the socket; the aborted receive completes on the io thread, which logs
//   and calls close() -> blocks on the mutex; main (held up 50 ms between
//   socket.close() and io_service.stop()) then stops the io_service and
//   joins io_thread forever.
// Fix: the mutex is held only around the socket shutdown and the
//   io_service.stop(); io_thread.join() and the port-closed callback run
//   after the lock scope ends, so the io thread's close() finds the port
//   closed and returns.
#include <boost/asio.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mavconn {
using boost::system::error_code;
using boost::asio::ip::tcp;
using lock_guard = std::lock_guard<std::recursive_mutex>;

class MAVConnInterface {
public:
    using ReceivedCb = std::function<void(const uint8_t *, size_t)>;
    using ClosedCb = std::function<void()>;
    virtual ~MAVConnInterface() = default;
    virtual void connect(const ReceivedCb &cb_handle_message, const ClosedCb &cb_handle_closed_port) = 0;
    virtual void close() = 0;
    virtual void send_bytes(const uint8_t *bytes, size_t length) = 0;
    virtual bool is_open() = 0;

protected:
    size_t conn_id = 0;
    ReceivedCb message_received_cb;
    ClosedCb port_closed_cb;
    std::recursive_mutex mutex;
};

class MAVConnTCPClient : public MAVConnInterface {
public:
    MAVConnTCPClient(const tcp::endpoint &ep)
        : io_work(new boost::asio::executor_work_guard<boost::asio::io_context::executor_type>(io_service.get_executor())),
          socket(io_service), server_ep(ep) {
        socket.open(tcp::v4());
        socket.connect(server_ep);
        std::printf("mavconn: tcp%zu: Server address: %s:%u\n", conn_id, server_ep.address().to_string().c_str(), server_ep.port());
    }
    ~MAVConnTCPClient() override { close(); }

    void connect(const ReceivedCb &cb_handle_message, const ClosedCb &cb_handle_closed_port) override {
        message_received_cb = cb_handle_message;
        port_closed_cb = cb_handle_closed_port;
        // give some work to io_service before start
        boost::asio::post(io_service, [this]() { do_recv(); });
        // run io_service for async io
        io_thread = std::thread([this]() { io_service.run(); });
    }

    bool is_open() override { return socket.is_open(); }

    void close() override {
        {
            lock_guard lock(mutex);
            if (!is_open())
                return;

            error_code ec;
            socket.shutdown(tcp::socket::shutdown_send, ec);
            socket.cancel(ec);
            socket.close(ec);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));   // (schedule) caller preempted here

            io_work.reset();
            io_service.stop();
        }

        if (io_thread.joinable())
            io_thread.join();

        io_service.restart();

        if (port_closed_cb)
            port_closed_cb();
    }

    void send_bytes(const uint8_t *bytes, size_t length) override {
        if (!is_open()) {
            std::printf("mavconn: tcp%zu: send: channel closed!\n", conn_id);
            return;
        }
        {
            lock_guard lock(mutex);
            tx_q.emplace_back(bytes, bytes + length);
        }
        boost::asio::post(io_service, [this]() { do_send(true); });
    }

private:
    boost::asio::io_context io_service;
    std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> io_work;
    std::thread io_thread;
    tcp::socket socket;
    tcp::endpoint server_ep;
    std::atomic<bool> tx_in_progress{false};
    std::deque<std::vector<uint8_t>> tx_q;
    std::array<uint8_t, 1024> rx_buf{};

    void do_recv() {
        socket.async_receive(boost::asio::buffer(rx_buf),
                             [this](error_code error, size_t bytes_transferred) { async_receive_end(error, bytes_transferred); });
    }

    void async_receive_end(error_code error, size_t bytes_transferred) {
        if (error) {
            std::printf("mavconn: tcp%zu: receive: %s\n", conn_id, error.message().c_str());
            close();
            return;
        }
        if (message_received_cb)
            message_received_cb(rx_buf.data(), bytes_transferred);
        do_recv();
    }

    void do_send(bool check_tx_state) {
        if (check_tx_state && tx_in_progress)
            return;
        lock_guard lock(mutex);
        if (tx_q.empty() || !socket.is_open())
            return;
        tx_in_progress = true;
        auto &buf = tx_q.front();
        socket.async_send(boost::asio::buffer(buf), [this](error_code error, size_t) {
            lock_guard lock(mutex);
            tx_in_progress = false;
            if (!error && !tx_q.empty())
                tx_q.pop_front();
        });
    }
};
}  // namespace mavconn

int main() {
    // the autopilot (SITL) side of the link
    boost::asio::io_context sitl_io;
    boost::asio::ip::tcp::acceptor acceptor(sitl_io, {boost::asio::ip::make_address("127.0.0.1"), 0});

    auto link = std::make_shared<mavconn::MAVConnTCPClient>(acceptor.local_endpoint());
    boost::asio::ip::tcp::socket autopilot(sitl_io);
    acceptor.accept(autopilot);

    std::atomic<int> received{0};
    link->connect([&received](const uint8_t *, size_t n) { received += static_cast<int>(n); },
                  []() { std::printf("mavros: connection closed\n"); });

    const uint8_t heartbeat[9] = {0xfd, 0x09, 0, 0, 0, 1, 1, 0, 0};
    boost::asio::write(autopilot, boost::asio::buffer(heartbeat));
    const uint8_t cmd[4] = {0xfd, 0x01, 0x02, 0x03};
    link->send_bytes(cmd, sizeof(cmd));

    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    link->close();   // node shutdown
    std::printf("received %d bytes before close\n", received.load());
    link.reset();
    return 0;
}
