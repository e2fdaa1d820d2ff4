// Port: hpcc-systems/HPCC-Platform#9031 ("HPCC-15945 Thor slave hang in countproject")
//   A global COUNTPROJECT activity on a Thor slave numbers its rows after the
//   rows of the previous slaves: it reads its input through a look-ahead
//   (CRowStreamLookAhead, a thread that drains the input into a buffer) and is
//   that look-ahead's ILookAheadStopNotify. When the look-ahead thread has read
//   the whole input, onInputFinished() waits on prevRecCountSem for the
//   previous slaves' count and sends the running total to the next slave. The
//   semaphore is signalled by signalNext(), which nextRow() (first call) or
//   stop() run once they know the previous count. When another slave hits the
//   CHOSEN limit, this slave is told to stop() before its first nextRow().
//   stop() called PARENT::stop() first, which stops the input look-ahead and
//   waits for its thread; that thread is parked in onInputFinished() on
//   prevRecCountSem, which stop() would only signal after PARENT::stop()
//   returned. The slave hangs and the graph never completes.
// Style: (d) standard library only, in jlib/Thor idioms: a Semaphore class
//   (signal/wait), a CThreaded-style look-ahead with a stop notify interface,
//   a CSlaveActivity hierarchy (start/stop/nextRow), an IHThorCountProjectArg
//   helper reached through the activity
// Bug class: shutdown order: joining a thread that waits for a signal the
//   joiner gives only after the join
// Shape: slave 1 of 2 starts COUNTPROJECT; the look-ahead thread reads the 5
//   input rows (10 ms each) and parks on prevRecCountSem at ~50 ms. At 150 ms
//   the graph stops the activity without a nextRow() (CHOSEN reached on the
//   other slave): stop() -> PARENT::stop() -> CRowStreamLookAhead::stop() joins
//   the look-ahead thread forever.
// Fix: stop() first runs the `if (first)` block (getPrevCount() and
//   signalNext(), which signals prevRecCountSem) and calls PARENT::stop()
//   after it, so onInputFinished() can finish and the join returns.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
typedef uint64_t rowcount_t;
constexpr rowcount_t RCUNSET = ~(rowcount_t)0;

class Semaphore { // jlib
  std::mutex mutex;
  std::condition_variable cond;
  unsigned count = 0;

public:
  void signal() {
    std::lock_guard lock(mutex);
    count++;
    cond.notify_one();
  }
  void wait() {
    std::unique_lock lock(mutex);
    cond.wait(lock, [this] { return count > 0; });
    count--;
  }
};

struct Row {
  rowcount_t seq;
  int value;
};
using ConstRowPtr = std::shared_ptr<const Row>;

class IRowStream {
public:
  virtual ~IRowStream() = default;
  virtual ConstRowPtr nextRow() = 0;
  virtual void stop() = 0;
};

class ILookAheadStopNotify {
public:
  virtual ~ILookAheadStopNotify() = default;
  virtual void onInputFinished(rowcount_t count) = 0;
};

// upstream activity output (e.g. a disk read)
class CDiskReadStream : public IRowStream {
  int remaining;

public:
  explicit CDiskReadStream(int rows) : remaining(rows) {}
  ConstRowPtr nextRow() override {
    if (remaining == 0)
      return nullptr;
    std::this_thread::sleep_for(10ms);
    return std::make_shared<Row>(Row{0, remaining--});
  }
  void stop() override {}
};

// thactivityutil: reads the whole input ahead on its own thread
class CRowStreamLookAhead : public IRowStream {
  IRowStream *in;
  ILookAheadStopNotify *notify;
  std::mutex mutex;
  std::condition_variable cond;
  std::deque<ConstRowPtr> buffer;
  bool eof = false;
  std::atomic<bool> stopped{false};
  std::thread thread;

  void run() {
    rowcount_t count = 0;
    while (!stopped) {
      ConstRowPtr row = in->nextRow();
      if (!row)
        break;
      std::lock_guard lock(mutex);
      buffer.push_back(row);
      count++;
      cond.notify_all();
    }
    if (notify)
      notify->onInputFinished(count);
    std::lock_guard lock(mutex);
    eof = true;
    cond.notify_all();
  }

public:
  CRowStreamLookAhead(IRowStream *_in, ILookAheadStopNotify *_notify) : in(_in), notify(_notify) {}
  void start() { thread = std::thread([this] { run(); }); }
  ConstRowPtr nextRow() override {
    std::unique_lock lock(mutex);
    cond.wait(lock, [this] { return !buffer.empty() || eof; });
    if (buffer.empty())
      return nullptr;
    ConstRowPtr row = buffer.front();
    buffer.pop_front();
    return row;
  }
  void stop() override {
    stopped = true;
    if (thread.joinable())
      thread.join(); // wait for the look-ahead (and its stop notify) to finish
    in->stop();
  }
};

struct IHThorCountProjectArg {
  Row transform(const Row &in, rowcount_t counter) const { return Row{counter, in.value}; }
};

// a Thor slave channel's message passing to its neighbour slaves, reduced
struct CJobChannel {
  unsigned myRank = 1, numSlaves = 2;
  std::mutex mutex;
  rowcount_t countFromPrev = 0;
  std::vector<rowcount_t> sentToNext;
};

class CSlaveActivity {
protected:
  CJobChannel &jobChannel;
  std::unique_ptr<IRowStream> input;
  std::unique_ptr<CRowStreamLookAhead> lookAhead;
  std::atomic<bool> abortSoon{false};

public:
  explicit CSlaveActivity(CJobChannel &channel) : jobChannel(channel) {}
  virtual ~CSlaveActivity() = default;
  bool firstNode() const { return jobChannel.myRank == 1; }
  bool lastNode() const { return jobChannel.myRank == jobChannel.numSlaves; }
  virtual void start() {
    if (lookAhead)
      lookAhead->start();
  }
  virtual void stop() { // stopInput()
    if (lookAhead)
      lookAhead->stop();
  }
  virtual ConstRowPtr nextRow() = 0;
};

class BaseCountProjectActivity : public CSlaveActivity {
  typedef CSlaveActivity PARENT;

protected:
  IHThorCountProjectArg *helper;
  rowcount_t count = 0;

public:
  BaseCountProjectActivity(CJobChannel &channel, IHThorCountProjectArg *_helper) : CSlaveActivity(channel), helper(_helper) {}
  void start() override {
    PARENT::start();
    count = 0;
  }
};

class CountProjectActivity : public BaseCountProjectActivity, public ILookAheadStopNotify {
  typedef BaseCountProjectActivity PARENT;
  bool first = false;
  Semaphore prevRecCountSem;
  rowcount_t prevRecCount = 0;
  std::atomic<rowcount_t> localRecCount{RCUNSET};
  bool onInputFinishSends = false;

  void sendCount(rowcount_t _count) {
    if (lastNode())
      return;
    std::lock_guard lock(jobChannel.mutex);
    jobChannel.sentToNext.push_back(_count);
  }
  rowcount_t getPrevCount() {
    if (firstNode())
      return 0;
    std::lock_guard lock(jobChannel.mutex); // receiveMsg() from rank-1
    return jobChannel.countFromPrev;
  }
  void signalNext() {
    if (!onInputFinishSends)
      sendCount(prevRecCount + localRecCount);
    else
      prevRecCountSem.signal();
  }

public:
  CountProjectActivity(CJobChannel &channel, IHThorCountProjectArg *_helper, std::unique_ptr<IRowStream> _input)
      : BaseCountProjectActivity(channel, _helper) {
    input = std::move(_input);
    lookAhead = std::make_unique<CRowStreamLookAhead>(input.get(), this);
  }
  void start() override {
    localRecCount = RCUNSET;
    onInputFinishSends = true; // input row count not known up front
    PARENT::start();
    first = true;
    prevRecCount = 0;
  }
  void stop() override {
    PARENT::stop();
    if (first) { // nextRow, therefore getPrevCount()/sendCount() never called
      prevRecCount = count = getPrevCount();
      signalNext();
    }
  }
  ConstRowPtr nextRow() override {
    if (first) {
      first = false;
      prevRecCount = count = getPrevCount();
      signalNext();
    }
    while (!abortSoon) {
      ConstRowPtr row = lookAhead->nextRow();
      if (!row)
        break;
      return std::make_shared<Row>(helper->transform(*row, ++count));
    }
    return nullptr;
  }
  void onInputFinished(rowcount_t _localRecCount) override {
    rowcount_t expectedState = RCUNSET;
    if (localRecCount.compare_exchange_strong(expectedState, _localRecCount)) {
      prevRecCountSem.wait(); // LEAK
      if (!abortSoon) {
        std::printf("count is %llu\n", (unsigned long long)_localRecCount);
        sendCount(prevRecCount + _localRecCount);
      }
    }
  }
};

int main() {
  CJobChannel channel;
  IHThorCountProjectArg helper;
  CountProjectActivity act(channel, &helper, std::make_unique<CDiskReadStream>(5));

  act.start();
  std::this_thread::sleep_for(150ms); // the other slave reaches the CHOSEN limit
  act.stop();                         // stopped before the first nextRow()
  std::printf("activity stopped, sent %zu count(s) to the next slave\n", channel.sentToNext.size());
  return 0;
}
