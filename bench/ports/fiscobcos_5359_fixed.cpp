// Port: FISCO-BCOS/FISCO-BCOS#5359 ("Fix deadlock and exception swallowing in MessagePromiseSwapper")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   A DMC transaction executive hands CallParameters messages back and forth
//   between the executor thread and a worker running the contract:
//   MessagePromiseSwapper::spawnAndCall() swaps in a new promise, runs a step
//   on a worker and waits on that promise; the worker fulfils the previous
//   promise, or for the outermost step the latest one. Commit 7ef47bbc
//   started the worker with std::async(std::launch::async), whose std::future
//   joins the worker in its destructor. On a cross-shard externalCall() the
//   worker running execute() waits on a nested promise that only resume()
//   fulfils, while start()'s spawnAndCall(), message in hand, joins that
//   worker when it returns; resume() can only come after start() returned.
// Style: (d) standard library only, C++-native (FISCO-BCOS's idiom reduced: CallParameters::UniquePtr messages, MessagePromiseSwapper::spawnAndCall(spawnCall, waitAndDo) over std::shared_ptr<std::promise>, a TransactionExecutive interface with start()/externalCall()/resume(), PromiseTransactionExecutive, the DMC scheduler that routes the call to another shard and resumes)
// Bug class: blocked in a std::future destructor: the future of std::async joins, at scope exit, a worker that waits on a promise only fulfilled after that scope has returned
// Shape: the scheduler calls start(): spawnAndCall() swaps in P1 and runs
//   execute() on worker W1. The contract calls another shard: externalCall()
//   on W1 swaps in P2, worker W2 fulfils P1 with the call message, and W1
//   waits on P2. The scheduler's get() on P1 returns, but leaving
//   spawnAndCall() destroys W1's async future, which waits for W1; W1 waits
//   for P2, which the scheduler's resume() would fulfil after start().
// Fix: the worker is a detached std::thread (fire and forget, as the former
//   thread-pool post was), and it forwards an exception thrown by the step
//   with set_exception() instead of leaving the promise unfulfilled.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>

namespace bcos {
namespace executor {

struct CallParameters {
  using UniquePtr = std::unique_ptr<CallParameters>;
  enum Type : int8_t { MESSAGE, KEY_LOCK, FINISHED, REVERT };
  explicit CallParameters(Type _type) : type(_type) {}
  Type type;
  std::string senderAddress;
  std::string receiveAddress;
  std::string data;
  int64_t seq = 0;
  int32_t status = 0;
};

class MessagePromiseSwapper {
public:
  using Ptr = std::shared_ptr<MessagePromiseSwapper>;
  void spawnAndCall(std::function<CallParameters::UniquePtr()> spawnCall,
                    std::function<void(CallParameters::UniquePtr)> waitAndDo) {
    auto lastPromise = m_currentPromise;
    auto currentPromise = std::make_shared<std::promise<CallParameters::UniquePtr>>();
    m_currentPromise = currentPromise;
    auto future = currentPromise->get_future();

    // A detached thread, not std::async: the step may block in a nested
    // spawnAndCall() until a later resume(), so nothing may join it here.
    std::thread([this, lastPromise, spawnCall = std::move(spawnCall)]() {
      try {
        auto message = spawnCall();
        // Read the member late: the last completer delivers to the latest waiter.
        auto promise = lastPromise ? lastPromise : m_currentPromise;
        promise->set_value(std::move(message));
      } catch (...) {
        auto promise = lastPromise ? lastPromise : m_currentPromise;
        promise->set_exception(std::current_exception());
      }
    }).detach();

    auto message = future.get();
    waitAndDo(std::move(message));
  }

private:
  std::shared_ptr<std::promise<CallParameters::UniquePtr>> m_currentPromise;
};

class TransactionExecutive {
public:
  using Ptr = std::shared_ptr<TransactionExecutive>;
  explicit TransactionExecutive(std::string contractAddress) : m_contractAddress(std::move(contractAddress)) {}
  virtual ~TransactionExecutive() = default;
  virtual CallParameters::UniquePtr start(CallParameters::UniquePtr input) = 0;
  virtual CallParameters::UniquePtr externalCall(CallParameters::UniquePtr input) = 0; // by hostContext
  virtual CallParameters::UniquePtr resume() = 0;
  void setExchangeMessage(CallParameters::UniquePtr message) { m_exchangeMessage = std::move(message); }

protected:
  std::string m_contractAddress;
  CallParameters::UniquePtr m_exchangeMessage;
};

class PromiseTransactionExecutive : public TransactionExecutive {
public:
  explicit PromiseTransactionExecutive(std::string contractAddress)
      : TransactionExecutive(std::move(contractAddress)), m_messageSwapper(std::make_shared<MessagePromiseSwapper>()) {}

  CallParameters::UniquePtr start(CallParameters::UniquePtr input) override {
    auto spawnCall = [this, &input]() { return execute(std::move(input)); };
    CallParameters::UniquePtr exchangeMessage;
    m_messageSwapper->spawnAndCall(spawnCall, [&exchangeMessage](CallParameters::UniquePtr message) {
      exchangeMessage = std::move(message);
    });
    return exchangeMessage;
  }

  CallParameters::UniquePtr externalCall(CallParameters::UniquePtr input) override {
    CallParameters::UniquePtr output;
    m_messageSwapper->spawnAndCall([&input]() { return std::move(input); },
                                   [&output](CallParameters::UniquePtr message) {
                                     output = std::move(message); // when resumed
                                   });
    return output;
  }

  CallParameters::UniquePtr resume() override {
    CallParameters::UniquePtr exchangeMessage;
    m_messageSwapper->spawnAndCall([this]() { return std::move(m_exchangeMessage); },
                                   [&exchangeMessage](CallParameters::UniquePtr message) {
                                     exchangeMessage = std::move(message);
                                   });
    return exchangeMessage;
  }

private:
  // The contract: a transfer whose balances live on another shard.
  CallParameters::UniquePtr execute(CallParameters::UniquePtr input) {
    auto call = std::make_unique<CallParameters>(CallParameters::MESSAGE);
    call->senderAddress = m_contractAddress;
    call->receiveAddress = "0x00000000000000000000000000000000000b1a1c";
    call->data = "sub(alice,10);add(bob,10)";
    call->seq = input->seq + 1;
    auto output = externalCall(std::move(call));
    auto result = std::make_unique<CallParameters>(CallParameters::FINISHED);
    result->status = output->status;
    result->data = input->data + " -> " + output->data;
    return result;
  }

  MessagePromiseSwapper::Ptr m_messageSwapper;
};

} // namespace executor
} // namespace bcos

int main() {
  using namespace bcos::executor;
  TransactionExecutive::Ptr executive =
      std::make_shared<PromiseTransactionExecutive>("0x0000000000000000000000000000000000007a11");

  auto input = std::make_unique<CallParameters>(CallParameters::MESSAGE);
  input->data = "transfer(alice,bob,10)";
  auto output = executive->start(std::move(input));
  std::printf("executive yields a call to %s\n", output->receiveAddress.c_str());

  // The scheduler runs the call on the other shard's executor and resumes.
  auto response = std::make_unique<CallParameters>(CallParameters::FINISHED);
  response->seq = output->seq;
  response->data = "ok";
  executive->setExchangeMessage(std::move(response));
  auto result = executive->resume();
  std::printf("transaction %s: %s\n", result->type == CallParameters::FINISHED ? "finished" : "reverted",
              result->data.c_str());
  return 0;
}
