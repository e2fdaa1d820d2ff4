// Port: aws/aws-sdk-cpp#1456 ("Deadlock in CurlHandleContainer::AcquireCurlHandle()")
//   CurlHttpClient takes a curl handle for every request from its
//   CurlHandleContainer, a pool that grows on demand up to maxConnections and
//   keeps the idle handles in an ExclusiveOwnershipResourceManager, whose
//   Acquire() waits on a condition variable until some handle is Release()d.
//   A request that succeeds gives its handle back with ReleaseCurlHandle(); a
//   request that fails at the transport level (connection reset, timeout)
//   calls DestroyCurlHandle(), which only frees the handle. The pool still
//   counts it in m_poolSize, so once the pool is at its maximum every
//   destroyed handle is a slot lost for good: when all of them are gone, the
//   next request's Acquire() waits for a Release() that nobody will make.
// Style: (d) standard library only, C++-native (the SDK's idiom reduced: ExclusiveOwnershipResourceManager<RESOURCE_TYPE> with Acquire/Release/HasResourcesAvailable over a std::mutex and condition_variable, CurlHandleContainer with CheckAndGrowPool under m_containerLock, CurlHttpClient::MakeRequest, requests running on a small executor of std::threads)
// Bug class: resource token lost on an error path: a pooled handle is destroyed instead of released, so a condition-variable wait for a free handle is never satisfied
// Shape: maxConnections is 2. Two GetObject requests take both handles and
//   fail after 50 ms with CURLE_RECV_ERROR; both handles are destroyed. A
//   third request starts 200 ms later: no handle is available, the pool is at
//   its maximum and does not grow, and Acquire() waits forever; main's join
//   of that request thread hangs.
// Fix: DestroyCurlHandle() creates a replacement handle and releases it into
//   the pool (CreateCurlHandleInPool() under m_containerLock), so the pool
//   keeps its size and waiting requests are woken.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// --- libcurl reduced --------------------------------------------------------
struct CURL {
  int id;
};
enum CURLcode { CURLE_OK = 0, CURLE_RECV_ERROR = 56 };
static int g_nextHandleId = 0;
CURL *curl_easy_init() { return new CURL{++g_nextHandleId}; }
void curl_easy_cleanup(CURL *h) { delete h; }
void curl_easy_reset(CURL *) {}

namespace Aws {
namespace Utils {

template <typename RESOURCE_TYPE> class ExclusiveOwnershipResourceManager {
public:
  RESOURCE_TYPE Acquire() {
    std::unique_lock<std::mutex> locker(m_queueLock);
    while (!m_shutdown && m_resources.empty()) {
      m_semaphore.wait(locker, [&] { return m_shutdown || !m_resources.empty(); }); // LEAK: every pooled handle was destroyed, nobody will Release()
    }
    RESOURCE_TYPE resource = m_resources.back();
    m_resources.pop_back();
    return resource;
  }
  bool HasResourcesAvailable() {
    std::lock_guard<std::mutex> locker(m_queueLock);
    return !m_resources.empty() && !m_shutdown;
  }
  void Release(RESOURCE_TYPE resource) {
    std::unique_lock<std::mutex> locker(m_queueLock);
    m_resources.push_back(resource);
    locker.unlock();
    m_semaphore.notify_one();
  }
  std::vector<RESOURCE_TYPE> ShutdownAndWait(size_t resourceCount) {
    std::unique_lock<std::mutex> locker(m_queueLock);
    m_shutdown = true;
    m_semaphore.wait(locker, [&] { return m_resources.size() >= resourceCount; });
    std::vector<RESOURCE_TYPE> out;
    out.swap(m_resources);
    return out;
  }

private:
  std::vector<RESOURCE_TYPE> m_resources;
  std::mutex m_queueLock;
  std::condition_variable m_semaphore;
  bool m_shutdown = false;
};

} // namespace Utils

namespace Http {

class CurlHandleContainer {
public:
  explicit CurlHandleContainer(unsigned maxSize) : m_maxPoolSize(maxSize) {}
  ~CurlHandleContainer() {
    for (CURL *h : m_handleContainer.ShutdownAndWait(m_poolSize))
      curl_easy_cleanup(h);
  }
  CURL *AcquireCurlHandle() {
    if (!m_handleContainer.HasResourcesAvailable())
      CheckAndGrowPool();
    CURL *handle = m_handleContainer.Acquire();
    std::printf("acquired curl handle %d\n", handle->id);
    return handle;
  }
  void ReleaseCurlHandle(CURL *handle) {
    curl_easy_reset(handle);
    m_handleContainer.Release(handle);
  }
  void DestroyCurlHandle(CURL *handle) {
    std::printf("destroy curl handle %d\n", handle->id);
    curl_easy_cleanup(handle);
  }

private:
  CURL *CreateCurlHandleInPool() {
    CURL *h = curl_easy_init();
    m_handleContainer.Release(h);
    return h;
  }
  bool CheckAndGrowPool() {
    std::lock_guard<std::mutex> locker(m_containerLock);
    if (m_poolSize >= m_maxPoolSize)
      return false; // at the limit: wait for a handle to come back
    unsigned multiplier = m_poolSize > 0 ? m_poolSize : 1;
    unsigned amountToAdd = std::min(multiplier * 2, m_maxPoolSize - m_poolSize);
    for (unsigned i = 0; i < amountToAdd; ++i) {
      CreateCurlHandleInPool();
      ++m_poolSize;
    }
    return true;
  }

  Utils::ExclusiveOwnershipResourceManager<CURL *> m_handleContainer;
  unsigned m_maxPoolSize;
  unsigned m_poolSize = 0;
  std::mutex m_containerLock;
};

class CurlHttpClient {
public:
  explicit CurlHttpClient(unsigned maxConnections) : m_curlHandleContainer(maxConnections) {}
  // The endpoint resets the first two connections.
  CURLcode curl_easy_perform(CURL *, const std::string &uri) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return uri.find("/reset/") != std::string::npos ? CURLE_RECV_ERROR : CURLE_OK;
  }
  bool MakeRequest(const std::string &uri) {
    CURL *connectionHandle = m_curlHandleContainer.AcquireCurlHandle();
    CURLcode curlResponseCode = curl_easy_perform(connectionHandle, uri);
    if (curlResponseCode != CURLE_OK) {
      std::printf("request %s failed with %d\n", uri.c_str(), curlResponseCode);
      m_curlHandleContainer.DestroyCurlHandle(connectionHandle);
      return false;
    }
    m_curlHandleContainer.ReleaseCurlHandle(connectionHandle);
    return true;
  }

private:
  CurlHandleContainer m_curlHandleContainer;
};

} // namespace Http
} // namespace Aws

int main() {
  Aws::Http::CurlHttpClient client(/*maxConnections=*/2);
  std::vector<std::thread> executor;
  executor.emplace_back([&] { client.MakeRequest("https://bucket.s3.amazonaws.com/reset/a"); });
  executor.emplace_back([&] { client.MakeRequest("https://bucket.s3.amazonaws.com/reset/b"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  executor.emplace_back([&] {
    bool ok = client.MakeRequest("https://bucket.s3.amazonaws.com/key/c");
    std::printf("GetObject c: %s\n", ok ? "ok" : "failed");
  });
  for (auto &t : executor)
    t.join();
  std::printf("done\n");
  return 0;
}
