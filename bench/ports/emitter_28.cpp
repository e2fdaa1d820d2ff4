// Port: emitter-io/go#28 ("fix a deadlock in request() and onMessage()")
//   The emitter client's request() (behind GenerateKey(), CreateLink(), ID()
//   ...) locks the client so that the response callback is stored before
//   the response can arrive, publishes the request, and waits on the
//   per-request response channel still holding the lock. The response is
//   delivered by onMessage(), which read-locks the client first: the
//   requester waits for the response while holding the lock the response's
//   delivery waits for.
// Style: (d) standard library only (std::thread, std::shared_mutex as the client's RWMutex, std::promise/std::future as the per-request response channel)
// Bug class: lock+future: waiting on a future while holding the lock its producer needs
// Shape: GenerateKey() -> request(): write-lock mu_, publish, store a promise
//   under the message id, then future.get() with mu_ still held. The MQTT
//   router thread receives the broker's answer and calls onMessage(), which
//   takes a shared lock on mu_ before it would look the promise up and set
//   it.
// Fix: request() unlocks the client once the callback is stored and waits
//   for the response outside the lock.
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct Message {
  std::string topic;
  std::uint16_t id;
  std::string payload;
};

// The in-flight requests: one response promise per MQTT message id.
class Store {
public:
  std::future<std::string> PutCallback(std::uint16_t id) {
    std::lock_guard lk(mu_);
    return callbacks_[id].get_future();
  }
  bool NotifyResponse(std::uint16_t id, std::string resp) {
    std::lock_guard lk(mu_);
    auto it = callbacks_.find(id);
    if (it == callbacks_.end())
      return false;
    it->second.set_value(std::move(resp));
    callbacks_.erase(it);
    return true;
  }

private:
  std::mutex mu_;
  std::map<std::uint16_t, std::promise<std::string>> callbacks_;
};

// The MQTT connection: the broker answers a published request, and the
// client's router thread hands the answer to the message handler.
class Conn {
public:
  ~Conn() {
    for (auto &t : router_)
      t.join();
  }
  std::function<void(Message)> onMessage;
  std::uint16_t Publish(const std::string &topic, const std::string &) {
    const std::uint16_t id = ++next_id_;
    router_.emplace_back([this, topic, id] {
      std::this_thread::sleep_for(10ms); // the broker's round trip
      onMessage(Message{topic, id, "generated-key"});
    });
    return id;
  }

private:
  std::uint16_t next_id_ = 0;
  std::vector<std::thread> router_;
};

class Client {
public:
  Client() {
    conn_.onMessage = [this](Message m) { onMessage(std::move(m)); };
  }

  std::string GenerateKey(const std::string &secret, const std::string &channel) {
    return request("keygen", "{\"key\":\"" + secret + "\",\"channel\":\"" + channel + "\"}");
  }

private:
  std::string request(const std::string &operation, const std::string &req) {
    // The client is locked until the callback is stored, so the response
    // cannot arrive before it and be lost.
    std::unique_lock lk(mu_);
    const std::uint16_t id = conn_.Publish("emitter/" + operation + "/", req);
    std::future<std::string> resp = store_.PutCallback(id);
    return resp.get(); // LEAK: onMessage() cannot deliver the response while mu_ is held
  }

  void onMessage(Message m) {
    std::shared_lock lk(mu_); // LEAK: request() holds mu_ while it waits for this response
    if (m.topic.rfind("emitter/", 0) == 0)
      store_.NotifyResponse(m.id, std::move(m.payload));
  }

  std::shared_mutex mu_; // Go: the client embeds a sync.RWMutex
  Store store_;
  Conn conn_; // declared last: its router is joined first
};

int main() {
  Client c;
  c.GenerateKey("secret", "chat/");
}
