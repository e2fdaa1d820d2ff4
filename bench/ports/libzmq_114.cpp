// Port: zeromq/libzmq#114 ("socket_base_t::recv() hangs intermittently when in blocking mode under certain conditions (reproduced & patched)")
//   A 0MQ socket is owned by an application thread; an I/O thread pushes the
//   messages it reads from the network into a ypipe towards the socket. When
//   the application side finds the pipe empty, the pipe marks its reader as
//   asleep and the socket's fair-queue (fq_t) deactivates it; the next flush()
//   on the writer side then returns false and the I/O thread sends one
//   "revive" (activate_reader) command through the application thread's
//   mailbox, which wakes a recv() blocked in process_commands(block=true).
//   socket_base_t::recv() first calls xrecv(), and only afterwards does its
//   "every inbound_poll_rate calls, process pending commands" tick. If the
//   100th recv() finds the pipe empty and the message (with its revive) lands
//   right after that xrecv(), the non-blocking tick consumes the revive and
//   re-activates the pipe, but recv() does not retry xrecv(): it falls into
//   the blocking loop and waits in the mailbox for a command. The only command
//   that would come was the revive it has just eaten; the message sits in the
//   pipe and the application thread sleeps forever.
// Style: (d) standard library only (std::thread for the application and I/O threads, a mailbox_t command queue and a ypipe_t written as the project has them, over std::mutex/std::condition_variable)
// Bug class: lost wake-up: the wake-up command is consumed by a non-blocking poll whose result is ignored before the blocking wait
// Shape: main has already fed 99 messages, so the application thread's 100th
//   recv() is the tick call. Its xrecv() fails; the I/O thread writes message
//   100 at t=50 ms and sends the revive; the tick at t=100 ms processes it;
//   recv() then blocks in mailbox_t::recv(block) and main's join never returns.
// Fix: recv() processes the pending commands (the inbound_poll_rate tick)
//   before xrecv(), as later socket_base_t::recv() does, so a revive taken by
//   the tick is always followed by an xrecv() that sees the message, and a
//   revive arriving after xrecv() stays in the mailbox for the blocking loop.
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace zmq {

struct msg_t {
  std::string data;
};

const int inbound_poll_rate = 100;

class ypipe_t;

struct command_t {
  enum type_t { revive, stop } type;
  ypipe_t *pipe;
};

//  The application thread's command pipe (signaler + command queue).
class mailbox_t {
public:
  void send(const command_t &cmd) {
    std::lock_guard<std::mutex> lk(sync_);
    cpipe_.push_back(cmd);
    active_.notify_one();
  }
  //  Returns false (EAGAIN) when there is no command and block_ is false.
  bool recv(command_t *cmd, bool block_) {
    std::unique_lock<std::mutex> lk(sync_);
    if (block_) {
      active_.wait(lk, [this] { return !cpipe_.empty(); }); // LEAK
    } else if (cpipe_.empty()) {
      errno = EAGAIN;
      return false;
    }
    *cmd = cpipe_.front();
    cpipe_.pop_front();
    return true;
  }

private:
  std::mutex sync_;
  std::condition_variable active_;
  std::deque<command_t> cpipe_;
};

//  Single-reader single-writer pipe. check_read() on an empty pipe marks the
//  reader asleep; the writer learns it from flush() and must wake the reader.
class ypipe_t {
public:
  void write(const msg_t &m) {
    std::lock_guard<std::mutex> lk(mtx_);
    pending_.push_back(m);
  }
  //  Returns false if the reader is asleep: the caller must send "revive".
  bool flush() {
    std::lock_guard<std::mutex> lk(mtx_);
    for (auto &m : pending_)
      queue_.push_back(std::move(m));
    pending_.clear();
    if (reader_asleep_) {
      reader_asleep_ = false;
      return false;
    }
    return true;
  }
  bool read(msg_t *m) {
    std::lock_guard<std::mutex> lk(mtx_);
    if (queue_.empty()) {
      reader_asleep_ = true;
      return false;
    }
    *m = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }

private:
  std::mutex mtx_;
  std::deque<msg_t> pending_, queue_;
  bool reader_asleep_ = false;
};

//  Fair-queues the socket's inbound pipes; only active pipes are read.
class fq_t {
public:
  void attach(ypipe_t *p) { active_.push_back(p); }
  void activated(ypipe_t *p) { active_.push_back(p); }
  int recv(msg_t *msg) {
    while (!active_.empty()) {
      ypipe_t *p = active_.front();
      if (p->read(msg))
        return 0;
      active_.erase(active_.begin()); //  deactivate until revived
    }
    errno = EAGAIN;
    return -1;
  }

private:
  std::vector<ypipe_t *> active_;
};

class socket_base_t {
public:
  void attach_pipe(ypipe_t *p) { fq_.attach(p); }
  mailbox_t &mailbox() { return mailbox_; }

  int recv(msg_t *msg_) {
    //  Get the message.
    int rc = xrecv(msg_);
    int err = errno;

    //  Forcing: the I/O thread delivers the next message in this window.
    std::this_thread::sleep_for(100ms);

    //  Once every inbound_poll_rate messages check for signals and process
    //  incoming commands.
    if (++ticks_ == inbound_poll_rate) {
      process_commands(false);
      ticks_ = 0;
    }

    //  If we have the message, return immediately.
    if (rc == 0)
      return 0;
    errno = err;

    //  Blocking recv: process commands over and over until a message comes.
    while (rc != 0) {
      if (errno != EAGAIN)
        return -1;
      process_commands(true);
      rc = xrecv(msg_);
      ticks_ = 0;
    }
    return 0;
  }

  //  Only used to prime the socket: the 99 calls before the tick.
  int recv_nowait(msg_t *msg_) {
    ++ticks_;
    return xrecv(msg_);
  }

private:
  int xrecv(msg_t *msg_) { return fq_.recv(msg_); }

  void process_commands(bool block_) {
    command_t cmd;
    if (!mailbox_.recv(&cmd, block_))
      return;
    do {
      if (cmd.type == command_t::revive)
        fq_.activated(cmd.pipe);
    } while (mailbox_.recv(&cmd, false));
  }

  mailbox_t mailbox_;
  fq_t fq_;
  int ticks_ = 0;
};

//  The I/O thread's side of the connection (zmq_engine + session).
class session_t {
public:
  session_t(ypipe_t *out, socket_base_t *owner) : out_(out), owner_(owner) {}
  void in_event(const msg_t &m) {
    out_->write(m);
    if (!out_->flush())
      owner_->mailbox().send(command_t{command_t::revive, out_});
  }

private:
  ypipe_t *out_;
  socket_base_t *owner_;
};

} // namespace zmq

int main() {
  zmq::socket_base_t socket;
  zmq::ypipe_t inpipe;
  socket.attach_pipe(&inpipe);
  zmq::session_t session(&inpipe, &socket);

  //  Earlier traffic: 99 messages delivered and received, ticks_ == 99.
  for (int i = 0; i < zmq::inbound_poll_rate - 1; ++i)
    session.in_event(zmq::msg_t{"msg " + std::to_string(i)});
  zmq::msg_t m;
  for (int i = 0; i < zmq::inbound_poll_rate - 1; ++i)
    socket.recv_nowait(&m);

  std::thread app_thread([&socket] {
    zmq::msg_t msg;
    int rc = socket.recv(&msg); //  the 100th recv: the tick call
    std::printf("app thread: recv rc=%d '%s'\n", rc, msg.data.c_str());
  });

  std::thread io_thread([&session] {
    std::this_thread::sleep_for(50ms);
    session.in_event(zmq::msg_t{"msg 99"});
  });

  io_thread.join();
  app_thread.join();
  return 0;
}
