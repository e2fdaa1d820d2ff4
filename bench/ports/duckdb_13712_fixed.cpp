// Port: duckdb/duckdb#13712 ("Fix checkpoint deadlock - re-use locks on the same table")
//   -- FIXED version
//   (fixes checkpoint deadlocks between a checkpoint and a query that refers to the same table
//   more than once): every table carries a StorageLock (its checkpoint lock). A table scan takes
//   a shared lock on it when its global state is initialised
//   (DuckTransaction::SharedLockTable), and the checkpointer takes the exclusive lock while it
//   writes that table (SingleFileCheckpointWriter::WriteTable -> DataTable::GetCheckpointLock).
//   The lock is writer-priority: once an exclusive request is pending, no new reader is admitted,
//   so a checkpoint cannot be starved by a stream of readers. A self-join scans the same table
//   twice inside one transaction, so the transaction asks for a second shared lock while it
//   still holds the first. If the checkpoint requested the exclusive lock in between, the query
//   thread blocks in GetSharedLock (a writer is waiting) and the checkpoint thread blocks in
//   GetExclusiveLock (a reader, that same query, is still active): each waits for the other.
// Style: (d) standard library only (std::mutex + std::condition_variable form DuckDB's
//   StorageLockInternals; std::shared_ptr/std::weak_ptr stand for the lock keys; two
//   std::threads play the query connection and the checkpointing connection). The lock is
//   written after DuckDB's condition-variable StorageLockInternals; at the time of #13712 the
//   exclusive side spun on read_count while holding exclusive_lock, with the same deadlock.
// Bug class: circular wait on a writer-priority reader/writer lock: a reader re-acquires the
//   shared lock it already holds while a writer is queued between the two acquisitions
// Shape: the query thread opens the left scan of a self-join (shared lock #1) and is slow to
//   open the right scan; meanwhile the checkpoint thread calls GetExclusiveLock and waits for
//   read_count == 0 with writers_waiting = 1. The right scan's GetSharedLock then waits for
//   writers_waiting == 0. Neither wait can ever be satisfied; main() hangs in join().
//   (In this fixed twin the right scan reuses the first shared lock, the query finishes and
//   releases it, and the checkpoint then gets its exclusive lock.)
// Fix: DuckTransaction keeps a map of the checkpoint locks it already holds (weak_ptrs keyed by
//   DataTableInfo) and SharedLockTable hands back the existing shared lock instead of taking a
//   second one, so the transaction never queues behind the checkpoint.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

using namespace std::chrono_literals;

namespace duckdb {

using idx_t = uint64_t;

enum class StorageLockType { SHARED = 0, EXCLUSIVE = 1 };

struct StorageLockInternals;

class StorageLockKey {
public:
	StorageLockKey(std::shared_ptr<StorageLockInternals> internals_p, StorageLockType type_p);
	~StorageLockKey();
	StorageLockType GetType() const {
		return type;
	}

private:
	std::shared_ptr<StorageLockInternals> internals;
	StorageLockType type;
};

// writer-priority read/write lock
struct StorageLockInternals : std::enable_shared_from_this<StorageLockInternals> {
	std::mutex state_lock;
	std::condition_variable state_cv;
	idx_t read_count = 0;
	bool writer_active = false;
	idx_t writers_waiting = 0;

	std::unique_ptr<StorageLockKey> GetExclusiveLock() {
		std::unique_lock<std::mutex> guard(state_lock);
		writers_waiting++;
		state_cv.wait(guard, [&]() { return !writer_active && read_count == 0; });
		writers_waiting--;
		writer_active = true;
		return std::make_unique<StorageLockKey>(shared_from_this(), StorageLockType::EXCLUSIVE);
	}

	std::unique_ptr<StorageLockKey> GetSharedLock() {
		std::unique_lock<std::mutex> guard(state_lock);
		// writer priority: a new reader is not admitted while a writer is active or waiting
		state_cv.wait(guard, [&]() { return !writer_active && writers_waiting == 0; });
		read_count++;
		return std::make_unique<StorageLockKey>(shared_from_this(), StorageLockType::SHARED);
	}

	void ReleaseExclusiveLock() {
		{
			std::lock_guard<std::mutex> guard(state_lock);
			writer_active = false;
		}
		state_cv.notify_all();
	}

	void ReleaseSharedLock() {
		bool notify;
		{
			std::lock_guard<std::mutex> guard(state_lock);
			read_count--;
			notify = read_count == 0;
		}
		if (notify) {
			state_cv.notify_all();
		}
	}
};

StorageLockKey::StorageLockKey(std::shared_ptr<StorageLockInternals> internals_p, StorageLockType type_p)
    : internals(std::move(internals_p)), type(type_p) {
}

StorageLockKey::~StorageLockKey() {
	if (type == StorageLockType::EXCLUSIVE) {
		internals->ReleaseExclusiveLock();
	} else {
		internals->ReleaseSharedLock();
	}
}

class StorageLock {
public:
	StorageLock() : internals(std::make_shared<StorageLockInternals>()) {
	}
	std::unique_ptr<StorageLockKey> GetExclusiveLock() {
		return internals->GetExclusiveLock();
	}
	std::unique_ptr<StorageLockKey> GetSharedLock() {
		return internals->GetSharedLock();
	}

private:
	std::shared_ptr<StorageLockInternals> internals;
};

using CheckpointLock = StorageLockKey;

struct DataTableInfo {
	explicit DataTableInfo(std::string name_p) : table(std::move(name_p)) {
	}
	std::string table;
	//! lock held by scans (shared) and by the checkpointer while it writes this table (exclusive)
	StorageLock checkpoint_lock;

	std::unique_ptr<StorageLockKey> GetSharedLock() {
		return checkpoint_lock.GetSharedLock();
	}
};

class DataTable {
public:
	explicit DataTable(const std::string &name) : info(std::make_shared<DataTableInfo>(name)) {
	}
	std::shared_ptr<DataTableInfo> info;

	std::unique_ptr<StorageLockKey> GetCheckpointLock() {
		return info->checkpoint_lock.GetExclusiveLock();
	}
};

class DuckTransaction {
public:
	//! Grab a shared lock on the table for the duration of the transaction's scan
	std::shared_ptr<CheckpointLock> SharedLockTable(DataTableInfo &info) {
		std::lock_guard<std::mutex> l(active_locks_lock);
		auto entry = active_locks.find(&info);
		if (entry != active_locks.end()) {
			// this transaction already holds a shared lock on the table: re-use it
			auto lock = entry->second.lock();
			if (lock) {
				return lock;
			}
		}
		auto checkpoint_lock = std::shared_ptr<CheckpointLock>(info.GetSharedLock());
		active_locks[&info] = checkpoint_lock;
		return checkpoint_lock;
	}

private:
	std::mutex active_locks_lock;
	std::unordered_map<DataTableInfo *, std::weak_ptr<CheckpointLock>> active_locks;
};

struct TableScanGlobalState {
	std::shared_ptr<CheckpointLock> checkpoint_lock;
	idx_t rows_scanned = 0;
};

struct TableScan {
	static std::unique_ptr<TableScanGlobalState> InitGlobal(DuckTransaction &transaction, DataTable &table) {
		auto state = std::make_unique<TableScanGlobalState>();
		state->checkpoint_lock = transaction.SharedLockTable(*table.info);
		return state;
	}
};

// SELECT * FROM tbl a JOIN tbl b USING (id): two scans of one table in one transaction
static void ExecuteSelfJoin(DuckTransaction &transaction, DataTable &table) {
	auto left = TableScan::InitGlobal(transaction, table);
	// forcing: the pipeline for the right side is built a little later
	std::this_thread::sleep_for(200ms);
	auto right = TableScan::InitGlobal(transaction, table);
	left->rows_scanned = right->rows_scanned = 1024;
	std::printf("query: self-join on %s scanned %llu rows\n", table.info->table.c_str(),
	            (unsigned long long)(left->rows_scanned + right->rows_scanned));
}

class SingleFileCheckpointWriter {
public:
	void WriteTable(DataTable &table) {
		auto table_lock = table.GetCheckpointLock();
		std::printf("checkpoint: wrote table %s\n", table.info->table.c_str());
	}
	void CreateCheckpoint(DataTable &table) {
		WriteTable(table);
	}
};

} // namespace duckdb

int main() {
	using namespace duckdb;
	DataTable table("lineitem");

	std::thread query([&]() {
		DuckTransaction transaction;
		ExecuteSelfJoin(transaction, table);
	});
	std::thread checkpointer([&]() {
		// forcing: the checkpoint starts after the left scan took its shared lock
		std::this_thread::sleep_for(50ms);
		SingleFileCheckpointWriter writer;
		writer.CreateCheckpoint(table);
	});

	query.join();
	checkpointer.join();
	return 0;
}
