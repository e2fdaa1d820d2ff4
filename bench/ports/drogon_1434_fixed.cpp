// Port: drogonframework/drogon#1434 ("Fix a dead lock bug when closing all database connections")
//   drogon's DbClientImpl keeps its connections in sets guarded by
//   connectionsMutex_; each connection lives on a trantor EventLoop thread
//   ("DbLoop"). When a query's result arrives, the loop thread runs the
//   user's result callback and then the connection's idle callback,
//   DbClientImpl::handleNewTask(), which locks connectionsMutex_ to hand the
//   connection the next buffered command or put it back in
//   readyConnections_. DbClientImpl::closeAll() (called for every client when
//   the app quits, and by the destructor) locked connectionsMutex_ and, still
//   holding it, called disconnect() on every connection; disconnect() posts
//   the teardown to the connection's loop with runInLoop() and blocks on a
//   std::future until the loop has run it. If the loop thread is about to
//   enter handleNewTask(), it blocks on connectionsMutex_ and never runs the
//   teardown, so closeAll() waits on the future forever.
// Style: (a) Boost.Asio (trantor::EventLoop reduced to an io_context run by one thread with a work guard; runInLoop/queueInLoop as dispatch/post; the DB socket's readiness as a steady_timer) with std::mutex and std::promise/future as in drogon
// Bug class: lock held while blocking on a future that the event-loop thread must fulfil; the loop thread needs the lock first
// Shape: a query is sent at start; its result arrives on the DbLoop at 20 ms
//   and the user's callback runs until 170 ms. At 100 ms the app quits and the
//   DbClientManager calls closeAll(): it locks connectionsMutex_ and waits in
//   disconnect() for the loop. At 170 ms the loop thread calls the idle callback,
//   handleNewTask(), and blocks on connectionsMutex_: neither moves again.
// Fix: closeAll() swaps the connection set out (and clears the ready/busy
//   sets) under connectionsMutex_, releases it, and only then calls
//   disconnect() on each connection.
#include <boost/asio.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace asio = boost::asio;

namespace trantor {
// An event loop running on its own thread, as trantor::EventLoopThread.
class EventLoop {
public:
  EventLoop() : work_(asio::make_work_guard(ioc_)), thread_([this] {
                  threadId_ = std::this_thread::get_id();
                  ioc_.run();
                }) {}
  ~EventLoop() {
    quit();
    thread_.join();
  }
  bool isInLoopThread() const { return std::this_thread::get_id() == threadId_; }
  void runInLoop(std::function<void()> f) { asio::dispatch(ioc_, std::move(f)); }
  void queueInLoop(std::function<void()> f) { asio::post(ioc_, std::move(f)); }
  void runAfter(std::chrono::milliseconds d, std::function<void()> f) {
    auto timer = std::make_shared<asio::steady_timer>(ioc_, d);
    timer->async_wait([timer, f = std::move(f)](const boost::system::error_code &ec) {
      if (!ec)
        f();
    });
  }
  void quit() { work_.reset(); }

private:
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread::id threadId_;
  std::thread thread_;
};
} // namespace trantor

namespace drogon::orm {

enum class ConnectStatus { None, Ok, Bad };
using ResultCallback = std::function<void(const std::string &)>;

// orm_lib/src/DbConnection.h + postgresql_impl/PgConnection.cc, reduced.
class DbConnection : public std::enable_shared_from_this<DbConnection> {
public:
  explicit DbConnection(trantor::EventLoop *loop) : loop_(loop) {}
  void setIdleCallback(std::function<void()> cb) { idleCb_ = std::move(cb); }
  trantor::EventLoop *loop() const { return loop_; }

  void execSql(std::string sql, ResultCallback rcb) {
    auto thisPtr = shared_from_this();
    loop_->runInLoop([thisPtr, sql = std::move(sql), rcb = std::move(rcb)]() mutable {
      thisPtr->callback_ = std::move(rcb);
      thisPtr->isWorking_ = true;
      // The server answers after 20 ms: the socket becomes readable.
      thisPtr->loop_->runAfter(std::chrono::milliseconds(20), [thisPtr] { thisPtr->handleRead(); });
    });
  }

  void disconnect() {
    std::promise<int> pro;
    auto f = pro.get_future();
    auto thisPtr = shared_from_this();
    loop_->runInLoop([thisPtr, &pro]() {
      thisPtr->status_ = ConnectStatus::Bad;
      thisPtr->isWorking_ = false;
      pro.set_value(1);
    });
    f.get();
  }

private:
  void handleRead() {
    if (status_ == ConnectStatus::Bad)
      return;
    auto cb = std::move(callback_);
    cb("1 row");
    isWorking_ = false;
    idleCb_();
  }

  trantor::EventLoop *loop_;
  ConnectStatus status_ = ConnectStatus::Ok;
  bool isWorking_ = false;
  ResultCallback callback_;
  std::function<void()> idleCb_;
};
using DbConnectionPtr = std::shared_ptr<DbConnection>;

// orm_lib/src/DbClientImpl.cc, reduced to one connection on one DbLoop.
class DbClientImpl : public std::enable_shared_from_this<DbClientImpl> {
public:
  ~DbClientImpl() { closeAll(); }

  void init() {
    auto conn = newConnection(&loop_);
    std::lock_guard<std::mutex> lock(connectionsMutex_);
    connections_.insert(conn);
    readyConnections_.insert(conn);
  }

  void execSqlAsync(std::string sql, ResultCallback rcb) {
    DbConnectionPtr conn;
    {
      std::lock_guard<std::mutex> guard(connectionsMutex_);
      if (readyConnections_.empty())
        return; // buffered in sqlCmdBuffer_ in drogon
      conn = *readyConnections_.begin();
      readyConnections_.erase(conn);
      busyConnections_.insert(conn);
    }
    conn->execSql(std::move(sql), std::move(rcb));
  }

  void closeAll() {
    decltype(connections_) connections;
    {
      std::lock_guard<std::mutex> lock(connectionsMutex_);
      connections.swap(connections_);
      readyConnections_.clear();
      busyConnections_.clear();
    }
    for (auto const &conn : connections) {
      conn->disconnect();
    }
  }

private:
  DbConnectionPtr newConnection(trantor::EventLoop *loop) {
    auto connPtr = std::make_shared<DbConnection>(loop);
    std::weak_ptr<DbClientImpl> weakPtr = shared_from_this();
    std::weak_ptr<DbConnection> weakConn = connPtr;
    connPtr->setIdleCallback([weakPtr, weakConn]() {
      auto thisPtr = weakPtr.lock();
      if (!thisPtr)
        return;
      auto connPtr = weakConn.lock();
      if (!connPtr)
        return;
      thisPtr->handleNewTask(connPtr);
    });
    return connPtr;
  }

  void handleNewTask(const DbConnectionPtr &connPtr) {
    std::lock_guard<std::mutex> guard(connectionsMutex_);
    // No buffered command: the connection is idle again.
    busyConnections_.erase(connPtr);
    readyConnections_.insert(connPtr);
  }

  trantor::EventLoop loop_; // "DbLoop"; destroyed (quit + joined) after closeAll()
  mutable std::mutex connectionsMutex_;
  std::set<DbConnectionPtr> connections_;
  std::set<DbConnectionPtr> readyConnections_;
  std::set<DbConnectionPtr> busyConnections_;
};

} // namespace drogon::orm

int main() {
  using namespace std::chrono_literals;
  {
    auto client = std::make_shared<drogon::orm::DbClientImpl>();
    client->init();
    client->execSqlAsync("select count(*) from users", [](const std::string &r) {
      std::printf("result: %s\n", r.c_str());
      std::this_thread::sleep_for(150ms); // the user's result callback, on the DbLoop thread
    });
    std::this_thread::sleep_for(100ms);
    // app().quit(): the DbClientManager closes every client's connections.
    client->closeAll();
  }
  std::printf("database client closed\n");
  return 0;
}
