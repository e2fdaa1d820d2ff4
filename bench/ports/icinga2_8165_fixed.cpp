// Port: Icinga/icinga2#8165 ("ProcessCheckResult(): Make sure hosts aren't locked during Service::GetSeverity()")
//   Every config object carries its own recursive mutex, taken through
//   ObjectLock. Checkable::ProcessCheckResult() applies a new check result
//   under the checkable's ObjectLock; for a host whose problem state flips it
//   fires Service::OnHostProblemChanged for each of the host's services while
//   still holding the host's lock. The Icinga DB feature handles that signal
//   by recomputing the service's severity, and Service::GetSeverity() locks
//   the service and then its host. A concurrent check result for one of the
//   services fires Checkable::OnStateChange, whose Icinga DB handler also
//   calls GetSeverity(): it holds the service and waits for the host, while
//   the host's checker thread holds the host and waits for the service. Both
//   worker threads block forever and Icinga 2 stops writing any state.
// Style: (d) standard library (std::thread workers, std::recursive_mutex behind an
//   ObjectLock RAII class with Lock()/Unlock(), boost::signals2-like Signal<> of
//   std::function slots, class hierarchy Object > Checkable > Host/Service)
// Bug class: lock-order inversion (host -> service under a signal vs service -> host in GetSeverity)
// Shape: thread "checker" processes a DOWN result for host web01 (problem
//   state flips); the Icinga DB slot for OnHostProblemChanged first spends
//   100 ms serializing the host, then calls GetSeverity(web01!http). At 50 ms
//   thread "api" processes a CRITICAL result for web01!http; its OnStateChange
//   slot calls GetSeverity(), locks the service and blocks on the host. At
//   100 ms the checker blocks on the service: main's joins hang.
// Fix: ProcessCheckResult() copies the host's service list, unlocks the host's
//   ObjectLock while emitting OnHostProblemChanged and locks it again after,
//   so no host lock is held when GetSeverity() runs.
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace icinga {

class Object {
public:
  virtual ~Object() = default;
  std::recursive_mutex &GetMutex() const { return m_Mutex; }

private:
  mutable std::recursive_mutex m_Mutex;
};

// base/objectlock.hpp
class ObjectLock {
public:
  explicit ObjectLock(const Object *object) : m_Object(object) { Lock(); }
  ~ObjectLock() { Unlock(); }
  ObjectLock(const ObjectLock &) = delete;
  ObjectLock &operator=(const ObjectLock &) = delete;
  void Lock() {
    m_Object->GetMutex().lock();
    m_Locked = true;
  }
  void Unlock() {
    if (m_Locked) {
      m_Object->GetMutex().unlock();
      m_Locked = false;
    }
  }

private:
  const Object *m_Object;
  bool m_Locked = false;
};

template <typename... Args> class Signal {
public:
  void connect(std::function<void(Args...)> slot) { m_Slots.push_back(std::move(slot)); }
  void operator()(Args... args) const {
    for (auto &slot : m_Slots)
      slot(args...);
  }

private:
  std::vector<std::function<void(Args...)>> m_Slots;
};

enum ServiceState { ServiceOK = 0, ServiceWarning = 1, ServiceCritical = 2 };

struct CheckResult {
  ServiceState State;
  std::string Output;
};

class Host;
class Service;

class Checkable : public Object {
public:
  explicit Checkable(std::string name) : m_Name(std::move(name)) {}
  const std::string &GetName() const { return m_Name; }
  ServiceState GetStateRaw() const { return m_State; }
  bool GetProblem() const { return m_State != ServiceOK; }
  void ProcessCheckResult(const CheckResult &cr);

  static Signal<Checkable *, const CheckResult &> OnStateChange;

protected:
  virtual Host *GetHostForCheckResult() { return nullptr; }

private:
  std::string m_Name;
  ServiceState m_State = ServiceOK;
  CheckResult m_LastCheckResult{ServiceOK, ""};
};
Signal<Checkable *, const CheckResult &> Checkable::OnStateChange;

class Host : public Checkable {
public:
  using Checkable::Checkable;
  void AddService(Service *s) { m_Services.push_back(s); }
  std::vector<Service *> GetServices() const {
    ObjectLock olock(this);
    return m_Services;
  }

protected:
  Host *GetHostForCheckResult() override { return this; }

private:
  std::vector<Service *> m_Services;
};

class Service : public Checkable {
public:
  Service(Host *host, const std::string &shortName) : Checkable(host->GetName() + "!" + shortName), m_Host(host) {}
  Host *GetHost() const { return m_Host; }
  int GetSeverity() const;

  static Signal<Service *, const CheckResult &> OnHostProblemChanged;

private:
  Host *m_Host;
};
Signal<Service *, const CheckResult &> Service::OnHostProblemChanged;

// lib/icinga/service.cpp
int Service::GetSeverity() const {
  int severity = 0;
  ObjectLock olock(this);
  ServiceState state = GetStateRaw();
  if (state == ServiceWarning)
    severity = 2;
  else if (state == ServiceCritical)
    severity = 4;

  Host *host = GetHost();
  ObjectLock hlock(host);
  if (host->GetProblem())
    severity |= 64; // host is down: the service's problem is less relevant
  return severity;
}

// lib/icinga/checkable-check.cpp
void Checkable::ProcessCheckResult(const CheckResult &cr) {
  ObjectLock olock(this);
  ServiceState old_state = GetStateRaw();
  bool wasProblem = GetProblem();
  m_State = cr.State;
  m_LastCheckResult = cr;
  bool stateChange = old_state != cr.State;

  if (Host *host = GetHostForCheckResult()) {
    if (GetProblem() != wasProblem) {
      auto services = host->GetServices();
      olock.Unlock();
      for (Service *service : services)
        Service::OnHostProblemChanged(service, cr);
      olock.Lock();
    }
  }
  olock.Unlock();

  if (stateChange)
    OnStateChange(this, cr);
}

// lib/icingadb: keeps Redis in sync with object states
class IcingaDB {
public:
  void Start() {
    Service::OnHostProblemChanged.connect([this](Service *service, const CheckResult &) {
      SerializeHostState(service->GetHost());
      UpdateState(service);
    });
    Checkable::OnStateChange.connect([this](Checkable *checkable, const CheckResult &) {
      if (auto *service = dynamic_cast<Service *>(checkable))
        UpdateState(service);
    });
  }

private:
  void SerializeHostState(Host *) { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }
  void UpdateState(Service *service) {
    int severity = service->GetSeverity();
    std::printf("icingadb: HSET icinga:service:state %s severity=%d\n", service->GetName().c_str(), severity);
  }
};

} // namespace icinga

int main() {
  using namespace icinga;
  Host web01("web01");
  Service http(&web01, "http");
  web01.AddService(&http);

  IcingaDB icingadb;
  icingadb.Start();

  std::thread checker([&] { web01.ProcessCheckResult({ServiceCritical, "PING CRITICAL - Packet loss = 100%"}); });
  std::thread api([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    http.ProcessCheckResult({ServiceCritical, "connect to address 10.0.3.17 and port 80: Connection refused"});
  });

  checker.join();
  api.join();
  std::printf("both check results processed\n");
  return 0;
}
