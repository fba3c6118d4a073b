// GB/T 28181 settings of a worker (the worker's `gb28181` key; docs/configuration.md).
#pragma once

#include <map>
#include <string>

namespace xl::gb28181 {

struct GbConfig {
  bool enabled = false;
  std::string id = "34020000002000000001";       // the platform's SIP ID (20 digits)
  std::string realm = "3402000000";              // SIP domain (first 10 digits of the ID)
  std::string bind = "127.0.0.1";                // loopback unless configured: set the address devices reach
  int port = 5060;                               // UDP and TCP
  std::string password;                          // devices' default password
  std::map<std::string, std::string> passwords;  // per device ID, overriding the default
  int keepalive_s = 60;                          // the devices' keepalive interval
  int keepalive_misses = 3;                      // missed in a row → offline
  std::string media_transport = "udp";           // live video over "udp" or "tcp" (the camera's URL may say)
  std::string media_ip;                          // the address devices send video to; "": the one that routes to them
  int max_calls = 4;                             // live calls a device is asked for at once; more wait
  std::map<std::string, int> device_max_calls;   // per device ID, overriding max_calls
};

}  // namespace xl::gb28181
