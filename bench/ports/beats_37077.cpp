// Port: elastic/beats#37077 ("Fix memqueue getting stuck on shutdown")
//   libbeat's memory queue is served by one runLoop goroutine. Producers hand
//   events to it through openState.publish(): a select that sends a
//   pushRequest on the broker's buffered pushChan or gives up when the
//   producer's `done` channel is closed (producer.Cancel(), called when the
//   pipeline client is closed on shutdown), followed by `return
//   <-req.resp, true`. The runLoop only reads pushChan while the queue has
//   room, and the queue only frees room when the output acknowledges events.
//   With the output blocked (Elasticsearch unreachable) the queue fills up,
//   the next push still fits in pushChan's buffer, and the producer then
//   waits on req.resp, which is answered only when the runLoop inserts the
//   event. Closing `done` no longer helps: the producer is past the select.
//   Filebeat's input goroutine stays in Publish() and the Beat never
//   finishes shutting down.
// Style: (c) gochan.h (go::chan for pushChan/getChan/deleteChan/closeChan and
//   the response channels, go::select in the runLoop and in publish(),
//   go::Context for the broker and output contexts, go::WaitGroup for the
//   inputs, go::spawn, go::wait_all_goroutines as the leak check)
// Bug class: receive with no shutdown case after a send that succeeded into a
//   buffer the consumer no longer reads
// Shape: the queue holds 4 events, pushChan buffers 2; the output takes a
//   batch but cannot reach Elasticsearch and never acknowledges it. The
//   httpjson input publishes 8 events: 4 fill the queue, the 5th is buffered
//   in pushChan and its publish() waits on resp. At 100 ms SIGTERM closes the
//   pipeline client (Cancel() closes done), stops the output and closes the
//   queue; the input never returns and main's wait for the inputs hangs.
// Fix: after the send succeeds, publish() waits in a second select on
//   req.resp and on st.done, so a cancelled producer returns (0, false).
#include "gochan.h"

#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <vector>

using EntryID = unsigned long long;

struct pushRequest {
  std::string event;
  unsigned long long producerID = 0;
  go::chan<EntryID> resp; // buffered(1), answered by the runLoop on insert
};

struct getRequest {
  int entryCount = 0;
  go::chan<std::shared_ptr<std::vector<std::string>>> responseChan;
};

// broker: libbeat/publisher/queue/memqueue.
class broker {
public:
  broker(int events, int inputQueueSize)
      : pushChan(inputQueueSize), bufSize(events), getChan(0), deleteChan(0), closeChan(0) {
    go::spawn([this] { runLoop(); });
  }

  void Close() { closeChan.close(); }
  void Done() { ctx.cancel(); } // the pipeline's final teardown

  std::shared_ptr<std::vector<std::string>> Get(int count) {
    getRequest req{count, go::chan<std::shared_ptr<std::vector<std::string>>>(1)};
    if (go::select(go::case_send(getChan, req), go::case_recv(ctx.done())) == 1)
      return nullptr;
    std::shared_ptr<std::vector<std::string>> batch;
    if (go::select(go::case_recv(req.responseChan, &batch), go::case_recv(ctx.done())) == 1)
      return nullptr;
    return batch;
  }

  void ACK(int n) { go::select(go::case_send(deleteChan, n), go::case_recv(ctx.done())); }

  go::chan<pushRequest> pushChan;

private:
  void runLoop() {
    go::chan<pushRequest> disabledPush;    // a nil channel: never ready
    go::chan<getRequest> disabledGet;
    go::chan<go::unit> closeCh = closeChan;
    for (;;) {
      // Push requests are enabled if the queue isn't full or closing.
      go::chan<pushRequest> push = (eventCount < bufSize && !closing) ? pushChan : disabledPush;
      // Get requests are enabled if there are events not yet sent to the output.
      go::chan<getRequest> get = (eventCount > consumedCount) ? getChan : disabledGet;
      pushRequest preq;
      getRequest greq;
      int acked = 0;
      switch (go::select(go::case_recv(closeCh), go::case_recv(ctx.done()), go::case_recv(push, &preq),
                         go::case_recv(get, &greq), go::case_recv(deleteChan, &acked))) {
      case 0:
        closing = true;
        closeCh = go::chan<go::unit>(); // stop selecting on the closed channel
        break;
      case 1:
        return; // the queue is fully shut down
      case 2:
        buf.push_back(preq.event);
        eventCount++;
        preq.resp.send(++nextID);
        break;
      case 3: {
        auto batch = std::make_shared<std::vector<std::string>>();
        for (int i = consumedCount; i < eventCount && int(batch->size()) < greq.entryCount; i++)
          batch->push_back(buf[i]);
        consumedCount += int(batch->size());
        greq.responseChan.send(batch);
        break;
      }
      case 4:
        for (int i = 0; i < acked; i++)
          buf.pop_front();
        eventCount -= acked;
        consumedCount -= acked;
        break;
      }
    }
  }

  int bufSize;
  std::deque<std::string> buf;
  int eventCount = 0, consumedCount = 0;
  EntryID nextID = 0;
  bool closing = false;
  go::chan<getRequest> getChan;
  go::chan<int> deleteChan;
  go::chan<go::unit> closeChan;
  go::Context ctx;
};

struct openState {
  go::chan<go::unit> done{0};
  go::chan<pushRequest> events;

  void Close() { done.close(); }

  std::pair<EntryID, bool> publish(pushRequest req) {
    if (go::select(go::case_send(events, req), go::case_recv(done)) == 0) {
      return {*req.resp.recv(), true}; // LEAK
    }
    events = go::chan<pushRequest>(); // st.events = nil
    return {0, false};
  }
};

class forgetfulProducer {
public:
  explicit forgetfulProducer(broker &b) { state.events = b.pushChan; }
  std::pair<EntryID, bool> Publish(const std::string &event) {
    return state.publish(pushRequest{event, ++produced, go::chan<EntryID>(1)});
  }
  int Cancel() {
    state.Close();
    return 0;
  }

private:
  openState state;
  unsigned long long produced = 0;
};

// The pipeline client an input publishes through.
class client {
public:
  explicit client(broker &q) : producer(q) {}
  bool Publish(const std::string &e) { return producer.Publish(e).second; }
  void Close() { producer.Cancel(); }

private:
  forgetfulProducer producer;
};

int main() {
  broker queue(4, 2); // queue.mem.events: 4; input queue size 2
  client cl(queue);
  auto [outputCtx, stopOutput] = go::with_cancel();

  // The Elasticsearch output: takes a batch, cannot publish it, retries until stopped.
  go::spawn([&queue, ctx = outputCtx] {
    auto batch = queue.Get(4);
    if (!batch)
      return;
    std::printf("output: got %zu events, connection refused\n", batch->size());
    for (;;) {
      if (go::select(go::case_recv(ctx.done()), go::case_recv(go::after(std::chrono::milliseconds(20)))) == 0)
        return; // shutting down, batch not acknowledged
    }
  });

  go::WaitGroup inputs;
  inputs.add(1);
  go::spawn([&] { // httpjson input
    for (int i = 0; i < 8; i++) {
      if (!cl.Publish("{\"message\":\"event " + std::to_string(i) + "\"}")) {
        std::printf("input: client closed after %d events\n", i);
        break;
      }
    }
    inputs.done();
  });

  go::sleep_ms(100); // SIGTERM
  cl.Close();
  stopOutput();
  queue.Close();
  queue.Done();
  inputs.wait();
  go::wait_all_goroutines();
  std::printf("filebeat stopped\n");
  return 0;
}
