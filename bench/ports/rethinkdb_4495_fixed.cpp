// Port: rethinkdb/rethinkdb#4495 ("Server gets stuck reading metadata on startup")
//   On startup multi_table_manager_t's constructor resurrects the tables on
//   disk: the persistence interface's read_all_metadata() opens a
//   metadata_file_t::read_txn_t (a read acquisition of the metadata file's
//   rwlock_t) and calls back once per stored table; for an active table the
//   callback loads its multistore, and load_multistore() opened a second
//   read_txn_t on the same file to read the table's branch history.
//   RethinkDB's rwlock_t grants acquisitions in line, in arrival order: a
//   read waits behind any write queued before it. When another coroutine
//   asked for a write transaction between the two reads (here the server
//   config persisting the server's name), the write waits for the outer
//   read, and the inner read waits for the write. "A deadlock caused by
//   recursive multiple acquisitions of a read lock on the metadata_file."
// Style: (b) Boost.Fiber (RethinkDB's coroutines on one thread as fibers:
//   boost::fibers::fiber, fibers::mutex and condition_variable inside an
//   in-line rwlock_t, this_fiber::sleep_for for the disk reads);
//   metadata_file_t with read_txn_t/write_txn_t, the table persistence
//   interface, multi_table_manager_t and server_config_server_t reduced
// Bug class: recursive read acquisition of a fair (FIFO) reader/writer lock
//   with a writer queued in between
// Shape: the constructor's outer read_txn_t is granted at once; reading the
//   table's persistent state takes 100 ms. At 50 ms the server config fiber
//   gets in line for a write_txn_t. At 100 ms load_multistore() gets in line
//   for a second read behind that write: every fiber is blocked and main
//   never gets to join the config fiber.
// Fix: read_all_metadata() passes its read_txn_t to the callbacks and
//   load_multistore() reads through it instead of opening another one.
#include <boost/fiber/all.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>
using namespace std::chrono_literals;
namespace fibers = boost::fibers;

enum class access_t { read, write };

// rwlock_t: acquisitions are served in line. A read is granted when only
// reads are ahead of it; a write when it is at the head of the line.
class rwlock_t {
  struct in_line_t {
    access_t access;
  };
  fibers::mutex mutex_;
  fibers::condition_variable cond_;
  std::list<in_line_t> line_;

  bool only_reads_ahead(std::list<in_line_t>::iterator me) {
    for (auto it = line_.begin(); it != me; ++it)
      if (it->access == access_t::write)
        return false;
    return true;
  }

public:
  using ticket_t = std::list<in_line_t>::iterator;

  ticket_t acquire_read() {
    std::unique_lock lk(mutex_);
    ticket_t me = line_.insert(line_.end(), in_line_t{access_t::read});
    cond_.wait(lk, [&] { return only_reads_ahead(me); });
    return me;
  }
  ticket_t acquire_write() {
    std::unique_lock lk(mutex_);
    ticket_t me = line_.insert(line_.end(), in_line_t{access_t::write});
    cond_.wait(lk, [&] { return line_.begin() == me; });
    return me;
  }
  void release(ticket_t t) {
    std::lock_guard lk(mutex_);
    line_.erase(t);
    cond_.notify_all();
  }
};

class rwlock_acq_t {
  rwlock_t *lock_;
  rwlock_t::ticket_t ticket_;

public:
  rwlock_acq_t(rwlock_t *l, access_t a)
      : lock_(l), ticket_(a == access_t::read ? l->acquire_read() : l->acquire_write()) {}
  ~rwlock_acq_t() { lock_->release(ticket_); }
  rwlock_acq_t(const rwlock_acq_t &) = delete;
  rwlock_acq_t &operator=(const rwlock_acq_t &) = delete;
};

// The metadata file: a small key/value B-tree behind one rwlock_t.
class metadata_file_t {
  rwlock_t rwlock_;
  std::map<std::string, std::string> btree_;

public:
  class read_txn_t {
    metadata_file_t *file_;
    rwlock_acq_t acq_;

  public:
    explicit read_txn_t(metadata_file_t *f) : file_(f), acq_(&f->rwlock_, access_t::read) {}
    std::string read(const std::string &key) {
      boost::this_fiber::sleep_for(1ms); // a block read
      auto it = file_->btree_.find(key);
      return it == file_->btree_.end() ? "" : it->second;
    }
    void read_many(const std::string &prefix, std::function<void(const std::string &, const std::string &)> cb) {
      for (auto &[k, v] : file_->btree_) {
        if (k.compare(0, prefix.size(), prefix) != 0)
          continue;
        boost::this_fiber::sleep_for(100ms); // reading and deserializing the table's state
        cb(k.substr(prefix.size()), v);
      }
    }
  };

  class write_txn_t {
    metadata_file_t *file_;
    rwlock_acq_t acq_;

  public:
    explicit write_txn_t(metadata_file_t *f) : file_(f), acq_(&f->rwlock_, access_t::write) {}
    void write(const std::string &key, const std::string &value) { file_->btree_[key] = value; }
  };

  void init(const std::map<std::string, std::string> &contents) { btree_ = contents; }
};

struct multistore_ptr_t {
  std::string table_id;
  std::string branch_history;
};

class real_table_persistence_interface_t {
  metadata_file_t *file_;

public:
  explicit real_table_persistence_interface_t(metadata_file_t *f) : file_(f) {}

  using metadata_cb_t =
      std::function<void(const std::string &, const std::string &, metadata_file_t::read_txn_t *)>;

  void read_all_metadata(metadata_cb_t active_cb, metadata_cb_t inactive_cb) {
    metadata_file_t::read_txn_t read_txn(file_);
    read_txn.read_many("table_active.",
                       [&](const std::string &id, const std::string &state) { active_cb(id, state, &read_txn); });
    read_txn.read_many("table_inactive.",
                       [&](const std::string &id, const std::string &state) { inactive_cb(id, state, &read_txn); });
  }

  void load_multistore(const std::string &table_id, metadata_file_t::read_txn_t *metadata_read_txn,
                       std::unique_ptr<multistore_ptr_t> *multistore_ptr_out) {
    std::string history = metadata_read_txn->read("branch_history." + table_id);
    multistore_ptr_out->reset(new multistore_ptr_t{table_id, history});
  }
};

class multi_table_manager_t {
  struct table_t {
    std::string status;
    std::unique_ptr<multistore_ptr_t> multistore_ptr;
  };
  real_table_persistence_interface_t *persistence_interface_;
  std::map<std::string, table_t> tables_;

public:
  explicit multi_table_manager_t(real_table_persistence_interface_t *pi) : persistence_interface_(pi) {
    /* Resurrect any tables that were sitting on disk from when we last shut down */
    persistence_interface_->read_all_metadata(
        [&](const std::string &table_id, const std::string &, metadata_file_t::read_txn_t *metadata_read_txn) {
          table_t &table = tables_[table_id];
          table.status = "ACTIVE";
          persistence_interface_->load_multistore(table_id, metadata_read_txn, &table.multistore_ptr);
        },
        [&](const std::string &table_id, const std::string &, metadata_file_t::read_txn_t *) {
          tables_[table_id].status = "INACTIVE";
        });
  }
  size_t table_count() const { return tables_.size(); }
};

// Persists this server's name and tags in the metadata file.
class server_config_server_t {
  metadata_file_t *file_;

public:
  explicit server_config_server_t(metadata_file_t *f) : file_(f) {}
  void persist_config(const std::string &name) {
    metadata_file_t::write_txn_t write_txn(file_);
    write_txn.write("server_config", name);
  }
};

int main() {
  metadata_file_t file;
  file.init({{"table_active.5f1c", "epoch=3"}, {"branch_history.5f1c", "b1,b2"}, {"server_config", "old"}});
  real_table_persistence_interface_t persistence(&file);
  server_config_server_t server_config(&file);

  fibers::fiber config_fiber([&] {
    boost::this_fiber::sleep_for(50ms);
    server_config.persist_config("rethinkdb_srv1");
    std::printf("server config persisted\n");
  });

  multi_table_manager_t table_manager(&persistence);
  std::printf("resurrected %zu tables\n", table_manager.table_count());

  config_fiber.join();
  return 0;
}
