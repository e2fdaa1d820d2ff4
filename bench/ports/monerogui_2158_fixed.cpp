// Port: monero-project/monero-gui#2158 ("wallet: fix deadlock, omit invoking 'refresh' from callback")
//   (fixes monero-project/monero#5515, "API deadlock on refresh".) The
//   wallet library's WalletImpl refreshes in a boost::thread
//   (refreshThreadFunc) and on demand (Wallet::refresh()); both go through
//   doRefresh(), which serialises refreshes with a boost::lock_guard on the
//   non-recursive boost::mutex m_refreshMutex2 and, while holding it, runs
//   wallet2::refresh(). wallet2 reports incoming transfers through its
//   callback (Wallet2CallbackImpl::on_money_received), which calls the
//   client's WalletListener::moneyReceived(). In the GUI that listener emits
//   Wallet::moneyReceived, and main.qml's onWalletMoneyReceived() handler
//   called currentWallet.refresh() "to refresh transaction history":
//   Wallet::refresh() -> WalletImpl::refresh() -> doRefresh() -> lock
//   m_refreshMutex2 again on the thread that already holds it. The refresh
//   thread deadlocks on itself and closing the wallet hangs in
//   stopRefresh()'s join.
// Style: Boost.Thread (boost::thread for the refresh thread, boost::mutex
//   with boost::mutex::scoped_lock / boost::lock_guard,
//   boost::condition_variable::timed_wait, boost::shared_mutex for the
//   history); Qt signals and the QML handler are reduced to std::function
//   slots called directly on the emitting thread
// Bug class: callback re-entering a lock: a listener invoked under a
//   non-recursive mutex calls back into the API that takes it
// Shape: main opens a wallet (50 ms auto-refresh interval), connects the
//   GUI's handlers and starts the refresh. At ~50 ms the refresh thread
//   scans the daemon's blocks; block 3 pays the wallet, the GUI handler
//   calls currentWallet.refresh() and the thread blocks on m_refreshMutex2.
//   At 300 ms the user closes the wallet and main hangs joining the refresh
//   thread.
// Fix: the GUI no longer invokes refresh() from the moneyReceived callback;
//   the handler only refreshes the history model (the history is already
//   brought up to date by the `updated` path).
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/thread/condition_variable.hpp>
#include <boost/thread/lock_guard.hpp>
#include <boost/thread/locks.hpp>
#include <boost/thread/mutex.hpp>
#include <boost/thread/shared_mutex.hpp>
#include <boost/thread/thread.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

// ---- the daemon's chain, reduced ----
struct block_entry { uint64_t height; std::string txid; uint64_t amount_to_us; /* 0: nothing for us */ };
static const std::vector<block_entry> g_daemon_chain = {
    {0, "genesis", 0}, {1, "a1f0", 0}, {2, "77c2", 0}, {3, "9e4b", 1500000000000}, {4, "0d13", 0}, {5, "c5aa", 0}};

// ---- wallet2, reduced ----
namespace tools {
struct i_wallet2_callback {
  virtual void on_money_received(uint64_t height, const std::string& txid, uint64_t amount) {}
  virtual ~i_wallet2_callback() = default;
};

class wallet2 {
 public:
  struct payment_details { std::string m_tx_hash; uint64_t m_amount; uint64_t m_block_height; };
  void callback(i_wallet2_callback* callback) { m_callback = callback; }
  void refresh(bool trusted_daemon) {
    for (const block_entry& b : g_daemon_chain) {
      if (b.height < m_blockchain_height) continue;
      if (b.amount_to_us != 0) {
        m_payments.push_back({b.txid, b.amount_to_us, b.height});
        if (m_callback) m_callback->on_money_received(b.height, b.txid, b.amount_to_us);
      }
      m_blockchain_height = b.height + 1;
    }
  }
  std::vector<payment_details> get_payments() const { return m_payments; }

 private:
  i_wallet2_callback* m_callback = nullptr;
  uint64_t m_blockchain_height = 0;
  std::vector<payment_details> m_payments;
};
}  // namespace tools

// ---- wallet/api, reduced ----
namespace Monero {
struct WalletListener {
  virtual ~WalletListener() = default;
  virtual void moneyReceived(const std::string& txId, uint64_t amount) = 0;
  virtual void refreshed() = 0;
};

class WalletImpl;

struct Wallet2CallbackImpl : public tools::i_wallet2_callback {
  explicit Wallet2CallbackImpl(WalletImpl* wallet) : m_listener(nullptr), m_wallet(wallet) {}
  void setListener(WalletListener* listener) { m_listener = listener; }
  WalletListener* getListener() const { return m_listener; }

  void on_money_received(uint64_t height, const std::string& txid, uint64_t amount) override {
    if (m_listener) m_listener->moneyReceived(txid, amount);
  }
  WalletListener* m_listener;
  WalletImpl* m_wallet;
};

class TransactionHistoryImpl {
 public:
  explicit TransactionHistoryImpl(tools::wallet2* wallet) : m_wallet(wallet) {}
  void refresh() {
    boost::unique_lock<boost::shared_mutex> lock(m_refreshLock);
    m_count = m_wallet->get_payments().size();
  }
  size_t count() {
    boost::shared_lock<boost::shared_mutex> lock(m_refreshLock);
    return m_count;
  }

 private:
  tools::wallet2* m_wallet;
  size_t m_count = 0;
  mutable boost::shared_mutex m_refreshLock;
};

class WalletImpl {
 public:
  static constexpr int DEFAULT_REFRESH_INTERVAL_MILLIS = 50;

  WalletImpl()
      : m_wallet(new tools::wallet2()), m_history(new TransactionHistoryImpl(m_wallet.get())),
        m_wallet2Callback(new Wallet2CallbackImpl(this)), m_refreshThreadDone(false), m_refreshEnabled(false),
        m_refreshShouldRescan(false), m_refreshIntervalMillis(DEFAULT_REFRESH_INTERVAL_MILLIS) {
    m_wallet->callback(m_wallet2Callback.get());
    m_refreshThread = boost::thread([this]() { this->refreshThreadFunc(); });
  }
  ~WalletImpl() { close(); stopRefresh(); }

  void setListener(WalletListener* l) { m_wallet2Callback->setListener(l); }
  TransactionHistoryImpl* history() { return m_history.get(); }

  bool refresh() { doRefresh(); return true; }
  void startRefresh() {
    if (!m_refreshEnabled) { m_refreshEnabled = true; m_refreshCV.notify_one(); }
  }
  void pauseRefresh() { if (!m_refreshThreadDone) m_refreshEnabled = false; }
  bool close() { pauseRefresh(); std::printf("wallet closed\n"); return true; }

 private:
  void refreshThreadFunc() {
    while (true) {
      boost::mutex::scoped_lock lock(m_refreshMutex);
      if (m_refreshThreadDone) break;
      // auto refresh: wait for the "m_refreshIntervalMillis" interval, else forever
      if (m_refreshIntervalMillis > 0) {
        boost::posix_time::milliseconds wait_for_ms(m_refreshIntervalMillis.load());
        m_refreshCV.timed_wait(lock, wait_for_ms);
      } else {
        m_refreshCV.wait(lock);
      }
      if (m_refreshEnabled) doRefresh();
    }
  }

  void doRefresh() {
    bool rescan = m_refreshShouldRescan.exchange(false);
    // synchronizing async and sync refresh calls
    boost::lock_guard<boost::mutex> guarg(m_refreshMutex2);
    do {
      m_wallet->refresh(true);
      if (m_history->count() == 0) m_history->refresh();
    } while (!rescan && (rescan = m_refreshShouldRescan.exchange(false)));
    if (m_wallet2Callback->getListener()) m_wallet2Callback->getListener()->refreshed();
  }

  void stopRefresh() {
    if (!m_refreshThreadDone) {
      m_refreshEnabled = false;
      m_refreshThreadDone = true;
      m_refreshCV.notify_one();
      m_refreshThread.join();
    }
  }

  std::unique_ptr<tools::wallet2> m_wallet;
  std::unique_ptr<TransactionHistoryImpl> m_history;
  std::unique_ptr<Wallet2CallbackImpl> m_wallet2Callback;
  std::atomic<bool> m_refreshThreadDone, m_refreshEnabled, m_refreshShouldRescan;
  std::atomic<int> m_refreshIntervalMillis;
  boost::thread m_refreshThread;
  boost::mutex m_refreshMutex, m_refreshMutex2;
  boost::condition_variable m_refreshCV;
};
}  // namespace Monero

// ---- monero-gui: src/libwalletqt, reduced ----
class Wallet {
 public:
  explicit Wallet(Monero::WalletImpl* w) : m_walletImpl(w) {}
  ~Wallet() { delete m_walletImpl; }

  bool refresh() { return m_walletImpl->refresh(); }
  void startRefresh() { m_walletImpl->startRefresh(); }
  Monero::TransactionHistoryImpl* history() { return m_walletImpl->history(); }

  // signals
  std::vector<std::function<void(const std::string&, uint64_t)>> moneyReceived;

 private:
  Monero::WalletImpl* m_walletImpl;
};

class WalletListenerImpl : public Monero::WalletListener {
 public:
  explicit WalletListenerImpl(Wallet* w) : m_wallet(w) {}
  void moneyReceived(const std::string& txId, uint64_t amount) override {
    for (auto& slot : m_wallet->moneyReceived) slot(txId, amount);  // emit m_wallet->moneyReceived(...)
  }
  void refreshed() override {}

 private:
  Wallet* m_wallet;
};

// ---- main.qml, reduced ----
struct AppWindow {
  Wallet* currentWallet = nullptr;

  void onWalletMoneyReceived(const std::string& txId, uint64_t amount) {
    // refresh transaction history here
    std::printf("Confirmed money found: %s %llu\n", txId.c_str(), (unsigned long long)amount);
    currentWallet->history()->refresh();  // this will refresh model
  }
  void connectWallet(Wallet* wallet) {
    currentWallet = wallet;
    wallet->moneyReceived.push_back([this](const std::string& txId, uint64_t amount) { onWalletMoneyReceived(txId, amount); });
  }
};

int main() {
  auto* impl = new Monero::WalletImpl();  // WalletManager::openWallet
  auto* wallet = new Wallet(impl);
  WalletListenerImpl listener(wallet);
  impl->setListener(&listener);

  AppWindow appWindow;
  appWindow.connectWallet(wallet);
  wallet->startRefresh();

  boost::this_thread::sleep(boost::posix_time::milliseconds(300));
  std::printf("history: %zu payment(s)\n", wallet->history()->count());
  delete wallet;  // WalletManager::closeWallet
  return 0;
}
