// Port: RuntimeTools/omr-agentcore#61 ("Fix deadlock in stopAllThreads()")
//   The agent core (used by Node.js Application Metrics) starts every thread
//   through ibmras::common::port::createThread(), which takes the global
//   threadMapMux, refuses to start anything once `stopping` is set, and pushes
//   the new pthread onto the threadMap stack. At shutdown stopAllThreads()
//   takes threadMapMux, sets `stopping`, wakes the sleepers (condBroadcast)
//   and then, still holding threadMapMux, pthread_cancel()s and pthread_join()s
//   each thread in turn. A thread that is itself starting another thread at
//   that moment (an agent thread that brings up a plugin's worker) blocks in
//   createThread() on threadMapMux; pthread_mutex_lock() is not a
//   cancellation point, so the cancel never takes effect, the thread never
//   exits, and stopAllThreads() joins it forever ("the first function takes
//   out the threadMapMux lock and then tries to pthread_join() other threads.
//   createThread() also tries to take out the lock").
// Style: pthread (pthread_create/pthread_join/pthread_cancel,
//   pthread_mutex_t globals, pthread_cond_timedwait-based port::sleep() and
//   condBroadcast(), pthread_cleanup_push in the thread wrapper), C-style C++
//   as in the agent's port layer (ThreadData with callback and stop method)
// Bug class: lock held while joining: stopAllThreads() joins, under
//   threadMapMux, a thread that needs threadMapMux to finish
// Shape: Agent::start() starts the push-source loop (sleeps in port::sleep)
//   and the pull-source loop. The pull-source loop samples its sources for
//   150 ms (pure CPU, no cancellation point) and then starts the API plugin's
//   worker through createThread(). At 50 ms main calls Agent::stop():
//   stopAllThreads() locks threadMapMux, cancels the pull-source thread and
//   joins it; at 150 ms that thread blocks on threadMapMux in createThread().
// Fix: stopAllThreads() unlocks threadMapMux around each pthread_join() and
//   re-locks it afterwards; the joined thread gets the mutex, sees `stopping`
//   and gets ECANCELED, so it leaves its loop and the join returns.
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <list>
#include <stack>

namespace ibmras {
namespace common {
namespace port {

class ThreadData;
typedef void* (*THREAD_CALLBACK)(ThreadData*);

class ThreadData {
 public:
  ThreadData(THREAD_CALLBACK callback, THREAD_CALLBACK stopMethod = NULL)
      : callback(callback), stopMethod(stopMethod), args(NULL) {}
  THREAD_CALLBACK getCallback() const { return callback; }
  THREAD_CALLBACK getStopMethod() const { return stopMethod; }
  bool hasStopMethod() const { return stopMethod != NULL; }
  void setArgs(void* a) { args = a; }
  void* getArgs() const { return args; }

 private:
  THREAD_CALLBACK callback;
  THREAD_CALLBACK stopMethod;
  void* args;
};

std::list<pthread_cond_t*> condMap;
std::stack<pthread_t> threadMap;
pthread_mutex_t condMapMux = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t threadMapMux = PTHREAD_MUTEX_INITIALIZER;
bool stopping = false;

static void runStopMethod(void* arg) {
  ThreadData* data = static_cast<ThreadData*>(arg);
  data->getStopMethod()(data);
}

void* wrapper(void* params) {
  ThreadData* data = static_cast<ThreadData*>(params);
  void* result;
  pthread_cleanup_push(runStopMethod, data);
  result = data->getCallback()(data);
  pthread_cleanup_pop(1);
  return result;
}

uintptr_t createThread(ThreadData* data) {
  uintptr_t retval;
  // lock the threadMap as we might be making updates to it
  pthread_mutex_lock(&threadMapMux); // LEAK
  if (!stopping) {
    pthread_t thread;
    retval = pthread_create(&thread, NULL, wrapper, data);
    if (retval == 0) {
      threadMap.push(thread);
    }
  } else {
    retval = ECANCELED;  // trying to stop - thread not created
  }
  pthread_mutex_unlock(&threadMapMux);
  return retval;
}

// Each sleep has its own condvar, which either times out or is woken by
// condBroadcast() at shutdown.
void sleep(uint32_t seconds) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock(&condMapMux);
  std::list<pthread_cond_t*>::iterator it = condMap.insert(condMap.end(), &c);
  pthread_mutex_unlock(&condMapMux);

  pthread_mutex_lock(&m);
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec += seconds;
  pthread_cond_timedwait(&c, &m, &t);
  pthread_mutex_unlock(&m);

  pthread_mutex_lock(&condMapMux);
  condMap.erase(it);
  pthread_mutex_unlock(&condMapMux);
}

void condBroadcast() {
  pthread_mutex_lock(&condMapMux);
  for (std::list<pthread_cond_t*>::iterator it = condMap.begin(); it != condMap.end(); ++it) {
    pthread_cond_broadcast(*it);
  }
  pthread_mutex_unlock(&condMapMux);
}

void stopAllThreads() {
  // prevent new thread creation
  pthread_mutex_lock(&threadMapMux);
  stopping = true;
  // wake currently sleeping threads
  condBroadcast();
  while (!threadMap.empty()) {
    pthread_t top = threadMap.top();
    pthread_cancel(top);
    // wait for the thread to stop
    pthread_join(top, NULL);
    threadMap.pop();
  }
  pthread_mutex_unlock(&threadMapMux);
}

}  // namespace port
}  // namespace common

namespace monitoring {

namespace port = ibmras::common::port;

static volatile bool running = false;

// Busy sampling of the pull sources: CPU work only, no cancellation point.
static void samplePullSources(int millis) {
  std::chrono::steady_clock::time_point end =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(millis);
  volatile unsigned long acc = 0;
  while (std::chrono::steady_clock::now() < end) acc = acc + 1;
}

void* apiPluginWorker(port::ThreadData*) {
  while (running) port::sleep(1);
  return NULL;
}

void* processPushSourceLoop(port::ThreadData*) {
  while (running) port::sleep(1);
  return NULL;
}

void* processPullSourceLoop(port::ThreadData* data) {
  bool apiPluginStarted = false;
  while (running) {
    samplePullSources(150);
    if (!apiPluginStarted) {
      // the API plugin's worker is started once its pull source is ready
      port::ThreadData* worker = static_cast<port::ThreadData*>(data->getArgs());
      port::createThread(worker);
      apiPluginStarted = true;
    }
  }
  return NULL;
}

void* threadStopped(port::ThreadData*) { return NULL; }

class Agent {
 public:
  Agent()
      : pushData(processPushSourceLoop, threadStopped),
        pullData(processPullSourceLoop, threadStopped),
        apiWorkerData(apiPluginWorker, threadStopped) {
    pullData.setArgs(&apiWorkerData);
  }

  void start() {
    running = true;
    port::createThread(&pushData);
    port::createThread(&pullData);
  }

  void stop() {
    running = false;
    port::stopAllThreads();
  }

 private:
  port::ThreadData pushData;
  port::ThreadData pullData;
  port::ThreadData apiWorkerData;
};

}  // namespace monitoring
}  // namespace ibmras

int main() {
  ibmras::monitoring::Agent agent;
  agent.start();
  usleep(50 * 1000);  // the application exits while the agent is sampling
  agent.stop();
  printf("agent stopped\n");
  return 0;
}
