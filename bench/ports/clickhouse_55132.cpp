// Port: ClickHouse/ClickHouse#55132 ("Fix deadlock in backups")
//   (follow-up #55216; the reason is spelled out in #55197: "a task from a thread pool can't
//   wait another task from the same thread pool"): BackupsWorker owns a ThreadPool
//   `backups_thread_pool` sized by backup_threads, with queue_size equal to its number of
//   threads. An ASYNC BACKUP is started by scheduling doBackup() on backups_thread_pool. Inside
//   that job writeBackupEntries() schedules one job per backup entry on the very same
//   backups_thread_pool and then waits on a condition variable until all of them are done. When
//   the running doBackup() jobs already take every slot of the pool (one async backup with
//   backup_threads = 1, or N concurrent backups with N threads), scheduleOrThrowOnError() waits
//   in job_finished.wait() for scheduled_jobs < queue_size, but the only job that could finish
//   is the caller itself. The backup never completes and BackupsWorker::wait() never returns.
// Style: (d) standard library only (ClickHouse's ThreadPoolImpl<std::thread> reduced: std::mutex,
//   two std::condition_variables job_finished / new_job_or_shutdown, a job queue, std::list of
//   std::thread; BackupsWorker keeps its own infos map + status_changed condition variable)
// Bug class: thread-pool self-starvation: a pool task schedules sub-tasks on its own pool and
//   waits for them, while it occupies the pool slot they need
// Shape: backup_threads = 1. main() starts an async backup and waits for its status. The single
//   pool thread runs doBackup(); writeBackupEntries() calls scheduleOrThrowOnError() for the
//   first entry, finds scheduled_jobs (1) == queue_size (1) and waits on job_finished forever;
//   main() waits on status_changed forever.
// Fix: add separate pools backup_async_executor_pool / restore_async_executor_pool that only
//   run the top-level async doBackup()/doRestore() jobs; backups_thread_pool is left free for the
//   per-entry jobs that doBackup() schedules and waits for.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace DB
{

/// ThreadPoolImpl<std::thread> (workers stay alive until shutdown in this reduction)
class ThreadPool
{
public:
    using Job = std::function<void()>;

    ThreadPool(size_t max_threads_, size_t /* max_free_threads_ */, size_t queue_size_)
        : max_threads(max_threads_)
        , queue_size(queue_size_ ? std::max(queue_size_, max_threads_) : 0)
    {
    }

    ~ThreadPool() { finalize(); }

    /// Locks until number of scheduled jobs is less than maximum.
    void scheduleOrThrowOnError(Job job)
    {
        {
            std::unique_lock lock(mutex);
            auto pred = [this] { return !queue_size || scheduled_jobs < queue_size || shutdown; };
            job_finished.wait(lock, pred); // LEAK: the only slot is held by the doBackup() job that is calling this
            if (shutdown)
                throw std::runtime_error("Cannot schedule a task: shutdown");

            if (threads.size() < std::min(max_threads, scheduled_jobs + 1))
                threads.emplace_front([this] { worker(); });

            jobs.push(std::move(job));
            ++scheduled_jobs;
        }
        new_job_or_shutdown.notify_one();
    }

    /// Wait for all currently active jobs to be done.
    void wait()
    {
        std::unique_lock lock(mutex);
        new_job_or_shutdown.notify_all();
        job_finished.wait(lock, [this] { return scheduled_jobs == 0; });
    }

private:
    void worker()
    {
        bool job_is_done = false;
        while (true)
        {
            Job job;
            {
                std::unique_lock lock(mutex);
                if (job_is_done)
                {
                    job_is_done = false;
                    --scheduled_jobs;
                    job_finished.notify_all();
                }
                new_job_or_shutdown.wait(lock, [this] { return !jobs.empty() || shutdown; });
                if (jobs.empty())
                    return;
                job = std::move(jobs.front());
                jobs.pop();
            }
            try
            {
                job();
            }
            catch (...)
            {
                std::fprintf(stderr, "job failed\n");
            }
            job = {};
            job_is_done = true;
        }
    }

    void finalize()
    {
        {
            std::lock_guard lock(mutex);
            shutdown = true;
        }
        new_job_or_shutdown.notify_all();
        for (auto & thread : threads)
            thread.join();
        threads.clear();
    }

    mutable std::mutex mutex;
    std::condition_variable job_finished;
    std::condition_variable new_job_or_shutdown;

    size_t max_threads;
    size_t queue_size;
    size_t scheduled_jobs = 0;
    bool shutdown = false;

    std::queue<Job> jobs;
    std::list<std::thread> threads;
};

enum class BackupStatus { CREATING_BACKUP, BACKUP_CREATED, BACKUP_FAILED };
using OperationID = std::string;

struct BackupEntry { std::string file_name; std::string data; };
using BackupEntries = std::vector<BackupEntry>;

struct ASTBackupQuery { std::string backup_name; std::vector<std::string> tables; bool async = false; };

class IBackup
{
public:
    bool supportsWritingInMultipleThreads() const { return true; }
    void writeFile(const BackupEntry & entry)
    {
        std::lock_guard lock{files_mutex};
        written += entry.data.size();
    }
    size_t getTotalSize() const { std::lock_guard lock{files_mutex}; return written; }

private:
    mutable std::mutex files_mutex;
    size_t written = 0;
};
using BackupMutablePtr = std::shared_ptr<IBackup>;

class BackupsWorker
{
public:
    explicit BackupsWorker(size_t num_backup_threads)
        : backups_thread_pool(std::make_unique<ThreadPool>(num_backup_threads, /* max_free_threads = */ 0, num_backup_threads))
    {
    }

    OperationID startMakingBackup(const ASTBackupQuery & backup_query)
    {
        OperationID backup_id = backup_query.backup_name;
        addInfo(backup_id, BackupStatus::CREATING_BACKUP);
        if (backup_query.async)
            backups_thread_pool->scheduleOrThrowOnError([this, backup_query, backup_id] { doBackup(backup_query, backup_id); });
        else
            doBackup(backup_query, backup_id);
        return backup_id;
    }

    BackupStatus wait(const OperationID & id)
    {
        std::unique_lock lock{infos_mutex};
        status_changed.wait(lock, [&] { return infos.at(id) != BackupStatus::CREATING_BACKUP; });
        return infos.at(id);
    }

private:
    void doBackup(const ASTBackupQuery & backup_query, const OperationID & backup_id)
    {
        auto backup = std::make_shared<IBackup>();
        BackupEntries backup_entries;
        for (const auto & table : backup_query.tables)
            backup_entries.push_back({table + "/data.bin", std::string(4096, 'x')});

        writeBackupEntries(backup, std::move(backup_entries));
        std::printf("backup %s written, %zu bytes\n", backup_id.c_str(), backup->getTotalSize());
        setStatus(backup_id, BackupStatus::BACKUP_CREATED);
    }

    void writeBackupEntries(BackupMutablePtr backup, BackupEntries && backup_entries)
    {
        size_t num_active_jobs = 0;
        std::mutex mutex;
        std::condition_variable event;
        std::exception_ptr exception;

        bool always_single_threaded = !backup->supportsWritingInMultipleThreads();

        for (auto & entry : backup_entries)
        {
            {
                std::unique_lock lock{mutex};
                if (exception)
                    break;
                ++num_active_jobs;
            }

            auto job = [&, entry]()
            {
                try
                {
                    backup->writeFile(entry);
                }
                catch (...)
                {
                    std::lock_guard lock{mutex};
                    if (!exception)
                        exception = std::current_exception();
                }
                std::lock_guard lock{mutex};
                if (!--num_active_jobs)
                    event.notify_all();
            };

            if (always_single_threaded)
            {
                job();
                continue;
            }

            backups_thread_pool->scheduleOrThrowOnError([job] { job(); });
        }

        std::unique_lock lock{mutex};
        event.wait(lock, [&] { return !num_active_jobs; });
        if (exception)
            std::rethrow_exception(exception);
    }

    void addInfo(const OperationID & id, BackupStatus status)
    {
        std::lock_guard lock{infos_mutex};
        infos[id] = status;
    }

    void setStatus(const OperationID & id, BackupStatus status)
    {
        {
            std::lock_guard lock{infos_mutex};
            infos[id] = status;
        }
        status_changed.notify_all();
    }

    std::mutex infos_mutex;
    std::condition_variable status_changed;
    std::map<OperationID, BackupStatus> infos;

    /// declared last: destroyed (and joined) first
    std::unique_ptr<ThreadPool> backups_thread_pool;
};

}

int main()
{
    /// <backup_threads>1</backup_threads>
    DB::BackupsWorker worker(/* num_backup_threads = */ 1);

    /// BACKUP TABLE t1, t2, t3 TO Disk('backups', 'b1') ASYNC
    DB::ASTBackupQuery query{"b1", {"t1", "t2", "t3"}, /* async = */ true};
    auto id = worker.startMakingBackup(query);
    auto status = worker.wait(id);
    std::printf("status: %s\n", status == DB::BackupStatus::BACKUP_CREATED ? "BACKUP_CREATED" : "BACKUP_FAILED");
    return 0;
}
