// Port: coredns/coredns#7516 ("plugin/transfer: fix goroutine leak on axfr err")
//   The transfer plugin serves an AXFR by asking a Transferer plugin (here the
//   file plugin's Zone) for a channel of record sets. Zone::Transfer starts a
//   producer goroutine that pushes the SOA, every RRset and the closing SOA
//   into a small buffered channel (pchan). ServeDNS reads pchan, batches the
//   records into dns.Envelopes and hands them to a second goroutine running
//   dns.Transfer.Out, which writes them to the TCP connection and reports a
//   write error on errCh. When the secondary goes away mid-transfer, Out
//   returns its error, ServeDNS's select picks errCh and ServeDNS returns
//   SERVFAIL without draining pchan: the producer goroutine stays blocked on
//   its pchan send forever (one leaked goroutine per broken AXFR).
// Style: (c) Go-style library gochan.h (go::chan buffered/unbuffered, go::select, go::spawn,
//   go::wait_all_goroutines as goleak)
// Bug class: channel send whose receiver left on an error path (producer never drained)
// Shape: main serves one AXFR of a 24-name zone to a ResponseWriter whose
//   connection is broken (every WriteMsg fails after 50 ms, like the test's
//   badwriter). Out fails on the first envelope, ServeDNS returns on errCh after
//   the second batch, the producer still has record sets to send and blocks on
//   the full pchan; main's wait for all goroutines hangs.
// Fix: on the errCh path ServeDNS drains pchan to completion before returning,
//   so the producer can finish and close the channel.
#include "gochan.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace dns {
struct RR {
  std::string name;
  std::string type;
  std::string rdata;
};
using RRSet = std::vector<RR>;
struct Envelope {
  std::vector<RR> RR;
};
using EnvelopePtr = std::shared_ptr<Envelope>;

constexpr int RcodeSuccess = 0;
constexpr int RcodeServerFailure = 2;

// The TCP connection to the secondary. A peer that hung up makes every write fail.
class ResponseWriter {
public:
  explicit ResponseWriter(bool broken) : broken_(broken) {}
  std::string WriteMsg(const Envelope &e) {
    go::sleep_ms(50); // network round trip
    if (broken_)
      return "write tcp 10.0.0.53:53->10.0.0.9:40112: write: broken pipe";
    written_ += e.RR.size();
    return "";
  }
  size_t written() const { return written_; }

private:
  bool broken_;
  size_t written_ = 0;
};

// miekg/dns Transfer.Out: writes every envelope it receives; stops at the first error.
struct Transfer {
  std::string Out(ResponseWriter *w, go::chan<EnvelopePtr> ch) {
    for (EnvelopePtr env : ch) {
      std::string err = w->WriteMsg(*env);
      if (!err.empty())
        return err;
    }
    return "";
  }
};
} // namespace dns

namespace file {
// plugin/file: a loaded zone that implements transfer.Transferer.
class Zone {
public:
  explicit Zone(std::string origin, int names) : origin_(std::move(origin)) {
    soa_ = {origin_, "SOA", "ns1." + origin_ + " hostmaster." + origin_ + " 2024031501 7200 3600 1209600 3600"};
    for (int i = 0; i < names; i++)
      tree_.push_back({{"host" + std::to_string(i) + "." + origin_, "A", "192.0.2." + std::to_string(i)}});
  }

  // Transfer returns a channel the whole zone is written to, closing SOA last.
  go::chan<dns::RRSet> Transfer(const std::string &zone, uint32_t /*serial*/) {
    (void)zone;
    go::chan<dns::RRSet> ch(2);
    dns::RR soa = soa_;
    std::vector<dns::RRSet> tree = tree_;
    go::spawn([ch, soa, tree] {
      ch.send(dns::RRSet{soa});
      for (const dns::RRSet &rrs : tree)
        ch.send(rrs);
      ch.send(dns::RRSet{soa});
      ch.close();
    });
    return ch;
  }

private:
  std::string origin_;
  dns::RR soa_;
  std::vector<dns::RRSet> tree_;
};
} // namespace file

namespace transfer {
constexpr size_t kEnvelopeBatch = 8; // upstream batches at 500 records

class Transfer {
public:
  explicit Transfer(file::Zone *z) : transferer_(z) {}

  // ServeDNS for an AXFR question; returns the rcode and the error.
  std::pair<int, std::string> ServeDNS(dns::ResponseWriter *w, const std::string &qname) {
    go::chan<dns::RRSet> pchan = transferer_->Transfer(qname, 0);

    go::chan<dns::EnvelopePtr> ch;
    go::chan<std::string> errCh;
    go::spawn([w, ch, errCh] {
      dns::Transfer tr;
      std::string err = tr.Out(w, ch);
      if (!err.empty())
        errCh.send(err);
      errCh.close();
    });

    std::vector<dns::RR> rrs;
    size_t l = 0;
    for (dns::RRSet records : pchan) {
      rrs.insert(rrs.end(), records.begin(), records.end());
      if (rrs.size() > kEnvelopeBatch) {
        std::string err;
        auto env = std::make_shared<dns::Envelope>(dns::Envelope{rrs});
        switch (go::select(go::case_send(ch, env), go::case_recv(errCh, &err))) {
        case 0:
          break;
        case 1:
          drain(pchan);
          return {dns::RcodeServerFailure, err};
        }
        l += rrs.size();
        rrs.clear();
      }
    }
    if (!rrs.empty()) {
      std::string err;
      auto env = std::make_shared<dns::Envelope>(dns::Envelope{rrs});
      if (go::select(go::case_send(ch, env), go::case_recv(errCh, &err)) == 1) {
        drain(pchan);
        return {dns::RcodeServerFailure, err};
      }
      l += rrs.size();
    }
    ch.close();
    std::string err;
    errCh.recv(err);
    if (!err.empty())
      return {dns::RcodeServerFailure, err};
    std::printf("[INFO] plugin/transfer: Outgoing transfer of %zu records of zone %s\n", l, qname.c_str());
    return {dns::RcodeSuccess, ""};
  }

private:
  // The client is gone: consume the rest of the zone so the Transferer's
  // producer goroutine can finish and close its channel.
  static void drain(go::chan<dns::RRSet> pchan) {
    for (dns::RRSet rest : pchan)
      (void)rest;
  }

  file::Zone *transferer_;
};
} // namespace transfer

int main() {
  file::Zone zone("example.org.", 24);
  transfer::Transfer t(&zone);

  dns::ResponseWriter broken(/*broken=*/true); // the secondary hung up mid-AXFR
  auto [rcode, err] = t.ServeDNS(&broken, "example.org.");
  std::printf("ServeDNS rcode=%d err=%s\n", rcode, err.c_str());

  go::wait_all_goroutines(); // goleak.VerifyNone
  std::printf("no goroutine left behind\n");
  return 0;
}
