//===--- VersionCheck.h - is the host clang-tidy the one we were built for? -===//

#ifndef THREADLEAK_PLUGIN_VERSIONCHECK_H
#define THREADLEAK_PLUGIN_VERSIONCHECK_H

#include <cctype>
#include <string>

namespace threadleak {

/// The major version in a clang version string such as
/// "Debian clang version 22.1.8 (++20250801)", or 0 if there is none.
inline unsigned parseClangMajor(const std::string &FullVersion) {
  std::string::size_type At = FullVersion.find("version ");
  if (At == std::string::npos)
    return 0;
  unsigned Major = 0;
  bool Any = false;
  for (At += 8; At < FullVersion.size() &&
                std::isdigit(static_cast<unsigned char>(FullVersion[At]));
       ++At) {
    Major = Major * 10 + unsigned(FullVersion[At] - '0');
    Any = true;
  }
  return Any ? Major : 0;
}

} // namespace threadleak

#endif
