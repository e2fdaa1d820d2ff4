// Port: CorfuDB/CorfuDB#1689 ("Common Pool Deadlock")
//   (fixes CorfuDB/CorfuDB#1688 and #1687.) CorfuRuntime keeps the current
//   layout as a CompletableFuture<Layout>; invalidateLayout() (synchronized)
//   replaces it with fetchLayout(), a CompletableFuture.supplyAsync() that
//   runs on the JVM's common ForkJoinPool. Every read of the log goes through
//   the layout and waits on that future. FastObjectLoader.resurrectCheckpoints()
//   used streamsMetaData.entrySet().parallelStream(), i.e. the same common
//   pool, to replay each stream's checkpoint, and each replay reads the log.
//   If invalidateLayout() is called during fast loading (a timeout, a layout
//   server hiccup), the fetchLayout task is queued behind the checkpoint
//   tasks that fill the pool, and those tasks all wait for the new layout:
//   the pool is exhausted by threads waiting for a task it can never run.
// Style: (e) Boost.Asio: boost::asio::thread_pool as the common pool (and,
//   in the fix, the loader's own executor), boost::asio::post() of
//   std::packaged_task for supplyAsync(); std::shared_future<Layout> as the
//   CompletableFuture, std::mutex as the runtime's monitor
// Bug class: thread-pool starvation: pool tasks block on a future whose
//   producer is queued on the same, fully occupied pool
// Shape: the common pool has two threads; the runtime connects (layout
//   epoch 1 fetched on the pool), then the loader replays two streams'
//   checkpoints on the pool, 3 entries each, 30 ms per entry. At 10 ms the
//   router reports a timeout and invalidateLayout() queues fetchLayout()
//   behind the two replay tasks; both replays then wait on the new layout
//   future forever, and main waits for the replays forever.
// Fix: resurrectCheckpoints() submits the replays to its own fixed thread
//   pool (Executors.newFixedThreadPool(numOfWorkers)), so the common pool
//   stays free to complete fetchLayout().
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace corfu {

// ForkJoinPool.commonPool() stand-in.
boost::asio::thread_pool& commonPool() {
  static boost::asio::thread_pool pool(2);
  return pool;
}

struct Layout {
  long epoch = 0;
  std::vector<std::string> layoutServers;
};

class CorfuRuntime {
 public:
  explicit CorfuRuntime(std::vector<std::string> servers) : layoutServers(std::move(servers)) {}

  CorfuRuntime& connect() {
    std::lock_guard<std::mutex> sync(monitor);
    layout = fetchLayout(layoutServers);
    layout.wait();
    return *this;
  }

  // synchronized in CorfuRuntime
  void invalidateLayout() {
    std::lock_guard<std::mutex> sync(monitor);
    // Don't create a new request for a layout if there is one pending.
    if (layout.wait_for(0s) != std::future_status::ready) return;
    layout = fetchLayout(layoutServers);
  }

  std::shared_future<Layout> getLayoutFuture() {
    std::lock_guard<std::mutex> sync(monitor);
    return layout;
  }

 private:
  // CompletableFuture.supplyAsync(...) on the common pool.
  std::shared_future<Layout> fetchLayout(std::vector<std::string> servers) {
    long epoch = ++lastEpoch;
    std::packaged_task<Layout()> task([servers, epoch] {
      std::this_thread::sleep_for(20ms);  // LayoutClient.getLayout() round trip
      return Layout{epoch, servers};
    });
    std::future<Layout> f = task.get_future();
    boost::asio::post(commonPool(), std::move(task));
    return f.share();
  }

  std::mutex monitor;
  std::vector<std::string> layoutServers;
  std::shared_future<Layout> layout;
  long lastEpoch = 0;
};

class AddressSpaceView {
 public:
  explicit AddressSpaceView(CorfuRuntime& rt) : runtime(rt) {}

  std::string read(long address) {
    Layout l = layoutHelper();
    std::this_thread::sleep_for(30ms);  // read from the log unit
    return "entry@" + std::to_string(address) + "/epoch" + std::to_string(l.epoch);
  }

 private:
  Layout layoutHelper() {
    std::shared_future<Layout> current = runtime.getLayoutFuture();
    return current.get(); // LEAK
  }
  CorfuRuntime& runtime;
};

struct StreamMetaData {
  std::string streamId;
  std::vector<long> checkpointAddresses;
};

class FastObjectLoader {
 public:
  FastObjectLoader(CorfuRuntime& rt, int workers) : runtime(rt), numOfWorkers(workers) {}

  void addStream(StreamMetaData md) { streamsMetaData[md.streamId] = std::move(md); }

  void loadMaps() {
    std::printf("fast loading %zu streams with %d workers\n", streamsMetaData.size(), numOfWorkers);
    resurrectCheckpoints();
  }

 private:
  void resurrectCheckpoint(const StreamMetaData& md) {
    AddressSpaceView view(runtime);
    for (long address : md.checkpointAddresses) view.read(address);
    std::printf("resurrected checkpoint of %s\n", md.streamId.c_str());
  }

  // streamsMetaData.entrySet().parallelStream().forEach(...)
  void resurrectCheckpoints() {
    std::vector<std::future<void>> pending;
    for (auto& entry : streamsMetaData) {
      std::packaged_task<void()> task([this, &md = entry.second] { resurrectCheckpoint(md); });
      pending.push_back(task.get_future());
      boost::asio::post(commonPool(), std::move(task));
    }
    for (auto& f : pending) f.get();
  }

  CorfuRuntime& runtime;
  int numOfWorkers;
  std::map<std::string, StreamMetaData> streamsMetaData;
};

}  // namespace corfu

int main() {
  corfu::CorfuRuntime runtime({"10.0.0.1:9000", "10.0.0.2:9000"});
  runtime.connect();

  corfu::FastObjectLoader loader(runtime, 2);
  loader.addStream({"stream-a", {100, 101, 102}});
  loader.addStream({"stream-b", {200, 201, 202}});

  // The router times out on a layout server while the maps are loading.
  std::thread router([&runtime] {
    std::this_thread::sleep_for(10ms);
    runtime.invalidateLayout();
  });

  loader.loadMaps();
  router.join();
  corfu::commonPool().join();
  std::puts("fast loading done");
  return 0;
}
