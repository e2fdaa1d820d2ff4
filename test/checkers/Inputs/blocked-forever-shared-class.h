// A class declared in a header: other translation units can name it and
// its members, so "nothing here sends" says nothing about them.
#include <boost/fiber/all.hpp>

struct HeaderInbox {
  boost::fibers::unbuffered_channel<int> in;
  void get() {
    int v;
    in.pop(v);
  }
};
