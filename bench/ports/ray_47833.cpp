// Port: ray-project/ray#47833 ("[core] Posts CoreWorkerMemoryStore callbacks onto io_context.")
//   (fixes ray-project/ray#47649, "[Core] `ray.cancel` deadlock"): CoreWorkerMemoryStore::GetAsync
//   registers a callback that runs when the object is Put(). Despite the name the callback is not
//   asynchronous: it runs on the stack of whoever calls Put(), with every lock that caller holds.
//   The dependency resolver of NormalTaskSubmitter registers such a callback for a task argument,
//   and that callback takes NormalTaskSubmitter::mu_. TaskManager::MarkEndOfStream holds
//   TaskManager::object_ref_stream_ops_mu_ while it Put()s the end-of-stream sentinel of a
//   streaming generator, so a completion on the io_service thread takes
//   object_ref_stream_ops_mu_ -> NormalTaskSubmitter::mu_. ray.cancel() on the user thread goes
//   CoreWorker::CancelTask -> NormalTaskSubmitter::CancelTask (holding mu_) ->
//   TaskManager::MarkTaskCanceled -> MarkEndOfStream (wants object_ref_stream_ops_mu_): the
//   opposite order (the Thread 1 stack of the lock table). Each thread waits for the
//   lock the other holds.
// Style: (a) Boost.Asio (instrumented_io_context is an io_context with a work guard run by the
//   core worker's io_service thread; completions are posted to it; the user's ray.cancel() call
//   is a plain std::thread; absl::Mutex/absl::MutexLock are stood in by thin wrappers over
//   std::mutex)
// Bug class: lock-order inversion (ABBA) through a callback that runs synchronously under the
//   caller's lock
// Shape: the io_service thread runs the generator's completion: it takes
//   object_ref_stream_ops_mu_ in MarkEndOfStream and (forcing: slow reference-counter update)
//   holds it for 200 ms before Put(). Meanwhile the user thread cancels the generator, takes
//   NormalTaskSubmitter::mu_ and blocks on object_ref_stream_ops_mu_. Put() then runs the
//   dependency-resolution callback inline, which blocks on NormalTaskSubmitter::mu_.
// Fix: the memory store is given the io_context and posts every GetAsync callback onto it
//   instead of invoking it from GetAsync()/Put(), so no caller lock is held when it runs.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace absl {
class Mutex {
 public:
  void Lock() { mu_.lock(); }
  void Unlock() { mu_.unlock(); }

 private:
  std::mutex mu_;
};
class MutexLock {
 public:
  explicit MutexLock(Mutex *mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() { mu_->Unlock(); }

 private:
  Mutex *mu_;
};
}  // namespace absl

namespace ray {

class instrumented_io_context : public boost::asio::io_context {
 public:
  void post(std::function<void()> handler, const std::string & /*name*/) {
    boost::asio::post(*this, std::move(handler));
  }
};

using ObjectID = std::string;
using TaskID = std::string;

struct RayObject {
  std::string data;
  bool is_end_of_stream = false;
};

struct TaskSpecification {
  TaskID task_id;
  std::vector<ObjectID> dependencies;
  bool is_streaming_generator = false;
  ObjectID generator_id() const { return task_id + ":gen"; }
};

class CoreWorkerMemoryStore {
 public:
  CoreWorkerMemoryStore() = default;

  void GetAsync(const ObjectID &object_id,
                std::function<void(std::shared_ptr<RayObject>)> callback) {
    std::shared_ptr<RayObject> ptr;
    {
      absl::MutexLock lock(&mu_);
      auto iter = objects_.find(object_id);
      if (iter != objects_.end()) {
        ptr = iter->second;
      } else {
        object_async_get_requests_[object_id].push_back(callback);
      }
    }
    if (ptr != nullptr) {
      callback(ptr);
    }
  }

  void Put(const RayObject &object, const ObjectID &object_id) {
    std::vector<std::function<void(std::shared_ptr<RayObject>)>> async_callbacks;
    auto object_entry = std::make_shared<RayObject>(object);
    {
      absl::MutexLock lock(&mu_);
      objects_[object_id] = object_entry;
      auto async_callback_it = object_async_get_requests_.find(object_id);
      if (async_callback_it != object_async_get_requests_.end()) {
        async_callbacks = std::move(async_callback_it->second);
        object_async_get_requests_.erase(async_callback_it);
      }
    }
    // Run the callbacks without holding mu_ (but with whatever the caller holds).
    for (const auto &cb : async_callbacks) {
      cb(object_entry);
    }
  }

 private:
  absl::Mutex mu_;
  std::unordered_map<ObjectID, std::shared_ptr<RayObject>> objects_;
  std::unordered_map<ObjectID, std::vector<std::function<void(std::shared_ptr<RayObject>)>>>
      object_async_get_requests_;
};

class ReferenceCounter {
 public:
  void OwnDynamicStreamingTaskReturnRef(const ObjectID & /*object_id*/,
                                        const ObjectID & /*generator_id*/) {
    // forcing: a slow reference-table update while the stream lock is held
    std::this_thread::sleep_for(200ms);
  }
};

class TaskManager {
 public:
  TaskManager(CoreWorkerMemoryStore &in_memory_store, ReferenceCounter &reference_counter)
      : in_memory_store_(in_memory_store), reference_counter_(reference_counter) {}

  void AddStreamingGenerator(const ObjectID &generator_id) {
    absl::MutexLock lock(&object_ref_stream_ops_mu_);
    object_ref_streams_[generator_id] = -1;
  }

  void CompletePendingTask(const TaskSpecification &spec, int64_t num_returns) {
    if (spec.is_streaming_generator) {
      MarkEndOfStream(spec.generator_id(), num_returns);
    }
  }

  void MarkTaskCanceled(const TaskSpecification &spec) {
    if (spec.is_streaming_generator) {
      MarkEndOfStream(spec.generator_id(), -1);
    }
  }

  void MarkEndOfStream(const ObjectID &generator_id, int64_t end_of_stream_index) {
    absl::MutexLock lock(&object_ref_stream_ops_mu_);  // LEAK: (user thread, holding the submitter's mu_) the io_service thread holds it and waits for mu_
    auto stream_it = object_ref_streams_.find(generator_id);
    if (stream_it == object_ref_streams_.end() || stream_it->second != -1) {
      // Stream already deleted or already ended.
      return;
    }
    stream_it->second = end_of_stream_index < 0 ? 0 : end_of_stream_index;
    ObjectID last_object_id = generator_id + ":" + std::to_string(stream_it->second);
    reference_counter_.OwnDynamicStreamingTaskReturnRef(last_object_id, generator_id);
    RayObject error{"END_OF_STREAMING_GENERATOR", true};
    in_memory_store_.Put(error, last_object_id);
  }

 private:
  CoreWorkerMemoryStore &in_memory_store_;
  ReferenceCounter &reference_counter_;
  absl::Mutex object_ref_stream_ops_mu_;
  std::unordered_map<ObjectID, int64_t> object_ref_streams_;
};

class LocalDependencyResolver {
 public:
  explicit LocalDependencyResolver(CoreWorkerMemoryStore &store) : in_memory_store_(store) {}

  void ResolveDependencies(const TaskSpecification &task, std::function<void()> on_complete) {
    auto pending = std::make_shared<size_t>(task.dependencies.size());
    for (const auto &obj_id : task.dependencies) {
      in_memory_store_.GetAsync(obj_id, [pending, on_complete](std::shared_ptr<RayObject>) {
        if (--*pending == 0) {
          on_complete();
        }
      });
    }
  }

 private:
  CoreWorkerMemoryStore &in_memory_store_;
};

class NormalTaskSubmitter {
 public:
  NormalTaskSubmitter(LocalDependencyResolver &resolver, TaskManager &task_manager)
      : resolver_(resolver), task_manager_(task_manager) {}

  void SubmitTask(const TaskSpecification &task_spec) {
    resolver_.ResolveDependencies(task_spec, [this, task_spec]() {
      absl::MutexLock lock(&mu_);  // LEAK: (io_service thread, inside Put() under object_ref_stream_ops_mu_) CancelTask holds mu_
      if (cancelled_tasks_.count(task_spec.task_id) == 0) {
        std::printf("submitter: dependencies of %s resolved, requesting a lease\n",
                    task_spec.task_id.c_str());
        lease_requests_++;
      }
    });
  }

  void CancelTask(const TaskSpecification &task_spec) {
    absl::MutexLock lock(&mu_);
    cancelled_tasks_.insert(task_spec.task_id);
    task_manager_.MarkTaskCanceled(task_spec);
    std::printf("submitter: cancelled %s\n", task_spec.task_id.c_str());
  }

 private:
  LocalDependencyResolver &resolver_;
  TaskManager &task_manager_;
  absl::Mutex mu_;
  std::unordered_set<TaskID> cancelled_tasks_;
  int lease_requests_ = 0;
};

class CoreWorker {
 public:
  CoreWorker()
      : task_manager_(memory_store_, reference_counter_),
        resolver_(memory_store_),
        normal_task_submitter_(resolver_, task_manager_),
        work_(boost::asio::make_work_guard(io_service_)),
        io_thread_([this]() { io_service_.run(); }) {}

  void SubmitTask(const TaskSpecification &spec) {
    if (spec.is_streaming_generator) {
      task_manager_.AddStreamingGenerator(spec.generator_id());
    }
    normal_task_submitter_.SubmitTask(spec);
  }

  // PushTask reply arrives on the io_service thread.
  void OnTaskReply(const TaskSpecification &spec, int64_t num_returns) {
    io_service_.post([this, spec, num_returns]() { task_manager_.CompletePendingTask(spec, num_returns); },
                     "CoreWorker.PushTaskReply");
  }

  // ray.cancel(ref)
  void CancelTask(const TaskSpecification &spec) { normal_task_submitter_.CancelTask(spec); }

  void Shutdown() {
    work_.reset();
    io_thread_.join();
  }

 private:
  instrumented_io_context io_service_;
  ReferenceCounter reference_counter_;
  CoreWorkerMemoryStore memory_store_;
  TaskManager task_manager_;
  LocalDependencyResolver resolver_;
  NormalTaskSubmitter normal_task_submitter_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread io_thread_;
};

}  // namespace ray

int main() {
  ray::CoreWorker core_worker;

  // gen = streaming_generator.remote(); consumer.remote(<last ref of gen>)
  ray::TaskSpecification generator{"gen", {}, true};
  ray::TaskSpecification consumer{"consumer", {generator.generator_id() + ":3"}, false};
  core_worker.SubmitTask(generator);
  core_worker.SubmitTask(consumer);

  // The generator finishes with 3 items; the reply is handled on the io_service thread.
  core_worker.OnTaskReply(generator, 3);

  // ray.cancel(gen) from the user's thread, racing with the reply.
  std::thread user([&]() {
    std::this_thread::sleep_for(50ms);
    core_worker.CancelTask(generator);
  });
  user.join();
  core_worker.Shutdown();
  return 0;
}
