// Port: scylladb/scylladb#14677 ("repair: Release permit earlier when the repair_reader is done")
//   -- FIXED version
//   (fixes scylladb/scylladb#14676, "deadlock caused by view update _registration_sem and
//   streaming reader _streaming_concurrency_sem"): a repair reads its range through a
//   repair_reader that holds a reader_permit admitted by the streaming reader concurrency
//   semaphore (_streaming_concurrency_sem). At end of stream repair_reader::on_end_of_stream()
//   swaps the evictable reader for an empty reader built on the same permit, so the permit's
//   count resources stay taken, and nothing can evict them. The repair then writes what it read
//   as a staging sstable and registers it with the view_update_generator, which throttles
//   registrations with _registration_sem. Registration units come back only when the
//   generator's background fiber has turned a staging sstable into view updates, and to read
//   that sstable the generator needs a permit from the same _streaming_concurrency_sem. With all
//   permits held by repairs that sit in register_staging_sstable(), the generator never gets a
//   permit and never returns registration units: repair and view building wait for each other.
// Style: (b) Boost.Fiber (Seastar's single-threaded reactor and its fibers of continuations are
//   played by boost::fibers on one thread; seastar::semaphore / semaphore_units are rebuilt on
//   boost::fibers::mutex + condition_variable; the repair and the view-update generator loop
//   are two fibers; main() joins them)
// Bug class: hold-and-wait on two semaphores: a task keeps a permit of semaphore A while
//   waiting on semaphore B, whose units can only be returned by a task that needs A
// Shape: _streaming_concurrency_sem has 1 count (10 in the report, one per repair),
//   _registration_sem 1 unit. An earlier streaming session registered staging sstable sst-0
//   (unit taken), so the generator fiber wakes up and, after scanning its work list
//   (forcing: 20 ms), asks for a streaming permit. Before that the repair fiber got the only
//   permit, read to end of stream and now waits in register_staging_sstable() for a
//   registration unit; the generator waits in obtain_permit() for the count the repair still
//   holds. Both fibers wait forever; main() waits in join().
// Fix: repair_reader::on_end_of_stream() (and close()) call _permit.release_base_resources()
//   before switching to the empty reader, so the count goes back to the semaphore as soon as the
//   repair has finished reading.
#include <boost/fiber/all.hpp>

#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace seastar {

class semaphore {
public:
    explicit semaphore(size_t count) : _count(count) {}
    void wait(size_t nr = 1) {
        std::unique_lock<boost::fibers::mutex> lk(_mutex);
        _cv.wait(lk, [&] { return _count >= nr; });
        _count -= nr;
    }
    void signal(size_t nr = 1) {
        {
            std::unique_lock<boost::fibers::mutex> lk(_mutex);
            _count += nr;
        }
        _cv.notify_all();
    }
    size_t available_units() const { return _count; }

private:
    size_t _count;
    boost::fibers::mutex _mutex;
    boost::fibers::condition_variable _cv;
};

class semaphore_units {
public:
    semaphore_units(semaphore& sem, size_t n) : _sem(&sem), _n(n) {}
    semaphore_units(semaphore_units&& o) noexcept : _sem(o._sem), _n(std::exchange(o._n, 0)) {}
    semaphore_units(const semaphore_units&) = delete;
    ~semaphore_units() { return_all(); }
    void return_all() {
        if (_n) {
            _sem->signal(std::exchange(_n, 0));
        }
    }

private:
    semaphore* _sem;
    size_t _n;
};

inline semaphore_units get_units(semaphore& sem, size_t n) {
    sem.wait(n);
    return semaphore_units(sem, n);
}

} // namespace seastar

// reader_concurrency_semaphore / reader_permit, reduced to the count resource
class reader_concurrency_semaphore {
public:
    reader_concurrency_semaphore(size_t count, std::string name) : _sem(count), _name(std::move(name)) {}
    seastar::semaphore& sem() { return _sem; }
    const std::string& name() const { return _name; }

private:
    seastar::semaphore _sem;
    std::string _name;
};

class reader_permit {
    struct impl {
        std::string description;
        std::optional<seastar::semaphore_units> base_resources;
    };
    std::shared_ptr<impl> _impl;

public:
    reader_permit(reader_concurrency_semaphore& semaphore, std::string description) : _impl(std::make_shared<impl>()) {
        _impl->description = std::move(description);
        _impl->base_resources.emplace(seastar::get_units(semaphore.sem(), 1));
    }
    void release_base_resources() { _impl->base_resources.reset(); }
};

reader_permit obtain_permit(reader_concurrency_semaphore& semaphore, std::string description) {
    return reader_permit(semaphore, std::move(description));
}

using mutation_fragment = std::string;

// A reader over a fixed set of fragments; an "empty reader" has none. Both keep their permit.
class flat_mutation_reader {
public:
    flat_mutation_reader(reader_permit permit, std::deque<mutation_fragment> fragments)
        : _permit(std::move(permit)), _fragments(std::move(fragments)) {}
    std::optional<mutation_fragment> operator()() {
        boost::this_fiber::yield();
        if (_fragments.empty()) {
            return std::nullopt;
        }
        auto mf = std::move(_fragments.front());
        _fragments.pop_front();
        return mf;
    }

private:
    reader_permit _permit;
    std::deque<mutation_fragment> _fragments;
};

flat_mutation_reader make_empty_flat_reader(reader_permit permit) {
    return flat_mutation_reader(std::move(permit), {});
}

class repair_reader {
public:
    repair_reader(reader_concurrency_semaphore& sem, std::deque<mutation_fragment> range)
        : _permit(obtain_permit(sem, "repair-meta")), _reader(_permit, std::move(range)) {}

    std::optional<mutation_fragment> read_mutation_fragment() { return _reader(); }

    void on_end_of_stream() {
        _permit.release_base_resources();
        _reader = make_empty_flat_reader(_permit);
    }

private:
    reader_permit _permit;
    flat_mutation_reader _reader;
};

using shared_sstable = std::string;

class view_update_generator {
public:
    view_update_generator(reader_concurrency_semaphore& streaming_sem, size_t registration_queue_size)
        : _streaming_sem(streaming_sem), _registration_sem(registration_queue_size) {}

    void start() {
        _started = boost::fibers::fiber([this] {
            while (true) {
                {
                    std::unique_lock<boost::fibers::mutex> lk(_mutex);
                    _pending_sstables.wait(lk, [&] { return _as || !_sstables_with_tables.empty(); });
                    if (_sstables_with_tables.empty()) {
                        return;
                    }
                }
                boost::this_fiber::sleep_for(20ms); // forcing: scan of the staging list
                std::vector<shared_sstable> sstables;
                {
                    std::unique_lock<boost::fibers::mutex> lk(_mutex);
                    sstables.swap(_sstables_with_tables);
                }
                // Building view updates reads the staging sstables: needs a streaming permit.
                auto permit = obtain_permit(_streaming_sem, "view_update_generator");
                for (auto& sst : sstables) {
                    std::printf("view_update_generator: generated view updates from %s\n", sst.c_str());
                }
                _registration_sem.signal(sstables.size());
            }
        });
    }

    void register_staging_sstable(shared_sstable sst) {
        {
            std::unique_lock<boost::fibers::mutex> lk(_mutex);
            _sstables_with_tables.push_back(std::move(sst));
        }
        _pending_sstables.notify_all();
        _registration_sem.wait(1);
    }

    void stop() {
        {
            std::unique_lock<boost::fibers::mutex> lk(_mutex);
            _as = true;
        }
        _pending_sstables.notify_all();
        _started.join();
    }

private:
    reader_concurrency_semaphore& _streaming_sem;
    seastar::semaphore _registration_sem;
    boost::fibers::mutex _mutex;
    boost::fibers::condition_variable _pending_sstables;
    std::vector<shared_sstable> _sstables_with_tables;
    bool _as = false;
    boost::fibers::fiber _started;
};

// repair_meta: read the local rows of a range, write them as a staging sstable
void repair_range(reader_concurrency_semaphore& streaming_sem, view_update_generator& vug) {
    repair_reader reader(streaming_sem, {"pk1", "pk2", "pk3"});
    size_t rows = 0;
    while (auto mf = reader.read_mutation_fragment()) {
        ++rows;
    }
    reader.on_end_of_stream();
    std::printf("repair: read %zu rows, flushing staging sstable\n", rows);
    vug.register_staging_sstable("sst-1");
    std::printf("repair: staging sstable registered\n");
}

int main() {
    reader_concurrency_semaphore streaming_sem(1, "_streaming_concurrency_sem");
    view_update_generator vug(streaming_sem, /* registration_queue_size */ 1);
    vug.start();

    // An earlier streaming session left one staging sstable behind; it holds the only unit.
    boost::fibers::fiber earlier([&] { vug.register_staging_sstable("sst-0"); });

    boost::fibers::fiber repair([&] { repair_range(streaming_sem, vug); });

    repair.join();
    earlier.join();
    vug.stop();
    return 0;
}
