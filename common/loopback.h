// Whether a listener would be reachable only from this machine.
#pragma once

#include <string>

namespace xl {

// True for 127.0.0.0/8, ::1 and "localhost". "0.0.0.0", "*", "::" and every other
// address are reachable from the network.
inline bool IsLoopbackAddress(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "::1" || host == "[::1]" || host == "localhost";
}

// True for a ZeroMQ endpoint on a loopback address ("tcp://127.0.0.1:5555") or one that
// never leaves the process or machine (inproc://, ipc://).
inline bool IsLoopbackEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("inproc://", 0) == 0 || endpoint.rfind("ipc://", 0) == 0) return true;
  if (endpoint.rfind("tcp://", 0) != 0) return false;
  const std::string rest = endpoint.substr(6);
  const size_t colon = rest.rfind(':');
  return IsLoopbackAddress(colon == std::string::npos ? rest : rest.substr(0, colon));
}

}  // namespace xl
