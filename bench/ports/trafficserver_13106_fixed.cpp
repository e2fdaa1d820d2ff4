// Port: apache/trafficserver#13106 ("Fix lock-order inversion deadlock in Diags::tag_activated")
//   (issue #13101). Diags::tag_activated() decides whether a debug tag is
//   on by matching it against the activated-tags regex while holding
//   Diags::tag_table_lock. Regex::exec() lazily builds a thread_local
//   RegexContext (the match data) on the first match in each thread; its
//   destructor is registered through __cxa_thread_atexit_impl, which takes
//   the dynamic loader's lock. Meanwhile a plugin being loaded by dlopen()
//   (which holds the loader lock while it runs the plugin's static
//   initializers) constructs a DbgCtl, whose registration asks
//   tag_activated() and so takes tag_table_lock. One thread holds
//   tag_table_lock and wants the loader lock, the other holds the loader
//   lock and wants tag_table_lock.
// Style: (d) standard library only (std::thread; std::mutex for
//   tag_table_lock and the DbgCtl registry; std::recursive_mutex for the
//   loader lock; a thread_local context registered with a simulated
//   __cxa_thread_atexit); Diags, DbgCtl, Regex/RegexContext and the dynamic
//   loader reduced
// Bug class: lock-order inversion (tag_table_lock -> loader lock in the
//   matching thread, loader lock -> tag_table_lock in plugin loading)
// Shape: an ET_NET thread asks tag_activated("http_hdrs") for the first
//   time: it takes tag_table_lock and its first match is slow (100 ms). At
//   50 ms the plugin loader dlopen()s stats_over_http.so: loader lock held,
//   the plugin's static DbgCtl blocks on tag_table_lock; at 100 ms the
//   ET_NET thread's new RegexContext registers its destructor and blocks on
//   the loader lock. main's joins hang.
// Fix: activated_tags becomes a std::shared_ptr<Regex>; tag_activated()
//   snapshots it under tag_table_lock and calls exec() after releasing the
//   lock, and activate_taglist() compiles the new regex outside the lock.
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>
using namespace std::chrono_literals;

// ---- the dynamic loader (glibc's dl_load_lock, reduced) ----
class DynamicLoader {
  std::recursive_mutex dl_load_lock_;
  std::vector<std::function<void()>> tls_dtors_;

public:
  struct SharedObject {
    std::string name;
    std::vector<std::function<void()>> static_initializers;
  };

  // dlopen(): maps the object and runs its static initializers under the lock.
  void dlopen(const SharedObject &so) {
    std::lock_guard lk(dl_load_lock_);
    std::printf("dlopen(%s)\n", so.name.c_str());
    for (auto &init : so.static_initializers)
      init();
  }

  // __cxa_thread_atexit_impl(): registers a thread_local's destructor.
  void cxa_thread_atexit(std::function<void()> dtor) {
    std::lock_guard lk(dl_load_lock_);
    tls_dtors_.push_back(std::move(dtor));
  }
};

DynamicLoader &loader() {
  static DynamicLoader l;
  return l;
}

// ---- tscore Regex ----
struct RegexContext { // pcre2 match data, one per thread
  std::smatch match_data;
  static RegexContext *current() {
    thread_local std::unique_ptr<RegexContext> ctx;
    if (!ctx) {
      ctx = std::make_unique<RegexContext>();
      loader().cxa_thread_atexit([] { /* ~RegexContext */ });
    }
    return ctx.get();
  }
};

class Regex {
  std::regex re_;

public:
  explicit Regex(const std::string &pattern) : re_(pattern) {}
  bool exec(const std::string &subject) const {
    std::this_thread::sleep_for(100ms); // forcing: a slow first match (JIT compile)
    RegexContext *ctx = RegexContext::current();
    return std::regex_search(subject, ctx->match_data, re_);
  }
};

// ---- Diags ----
enum DiagsTagType { DiagsTagType_Debug = 0, DiagsTagType_Action = 1 };

class Diags {
  std::mutex tag_table_lock;
  std::shared_ptr<Regex> activated_tags[2];

public:
  void activate_taglist(const char *taglist, DiagsTagType mode) {
    std::shared_ptr<Regex> re = taglist ? std::make_shared<Regex>(taglist) : nullptr;
    std::lock_guard lk(tag_table_lock);
    activated_tags[mode] = std::move(re);
  }

  bool tag_activated(const char *tag, DiagsTagType mode) {
    if (tag == nullptr)
      return true;
    std::shared_ptr<Regex> re;
    {
      std::lock_guard lk(tag_table_lock);
      re = activated_tags[mode];
    }
    return re && re->exec(tag);
  }
};

Diags *diags() {
  static Diags d;
  return &d;
}

// ---- DbgCtl: one per debug tag, registered on construction ----
class DbgCtl {
  struct Registry {
    std::mutex mtx;
    std::map<std::string, bool> tags;
  };
  static Registry &registry() {
    static Registry r;
    return r;
  }
  const bool *on_;

  static const bool *_new_reference(const char *tag) {
    Registry &r = registry();
    std::lock_guard lk(r.mtx);
    auto [it, fresh] = r.tags.emplace(tag, false);
    if (fresh)
      it->second = diags()->tag_activated(tag, DiagsTagType_Debug);
    return &it->second;
  }

public:
  explicit DbgCtl(const char *tag) : on_(_new_reference(tag)) {}
  bool on() const { return *on_; }
};

int main() {
  diags()->activate_taglist("http_hdrs|stats_over_http", DiagsTagType_Debug);

  // An ET_NET thread checks a debug tag for the first time.
  std::thread et_net([] {
    bool on = diags()->tag_activated("http_hdrs", DiagsTagType_Debug);
    std::printf("[ET_NET 0] http_hdrs %s\n", on ? "on" : "off");
  });

  std::this_thread::sleep_for(50ms);

  // The plugin loader dlopen()s a plugin with a static DbgCtl.
  std::thread plugin_loader([] {
    static std::unique_ptr<DbgCtl> dbg_ctl; // the plugin's `static DbgCtl dbg_ctl{PLUGIN_NAME};`
    DynamicLoader::SharedObject so{"stats_over_http.so",
                                   {[] { dbg_ctl = std::make_unique<DbgCtl>("stats_over_http"); }}};
    loader().dlopen(so);
    std::printf("[plugin] stats_over_http loaded, debug %s\n", dbg_ctl->on() ? "on" : "off");
  });

  et_net.join();
  plugin_loader.join();
  return 0;
}
