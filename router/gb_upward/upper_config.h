// The GB/T 28181 upper platform this router reports to as a lower platform (下级平台): the
// router's `--gb-upper FILE`, a YAML map of these keys (docs/configuration.md, "gb_upper").
#pragma once

#include <string>

#include "common/status.h"

namespace xl::router {

struct GbUpperConfig {
  std::string platform_id;         // our SIP ID at the upper platform (20 digits; required)
  std::string name = "Xueliang";   // our name there: DeviceInfo, the catalog's business group
  std::string upper_id;            // the upper platform's SIP ID (20 digits; required)
  std::string upper_domain;        // its SIP domain; "": the first 10 digits of upper_id
  std::string upper_host;          // its address (required)
  int upper_port = 5060;           // its SIP port
  std::string transport = "udp";   // signalling over "udp" or "tcp"
  std::string password;            // ours at the upper (digest; required)
  std::string bind = "127.0.0.1";  // our SIP and media sockets' address: set the one the upper reaches
  int port = 0;                    // our SIP port; 0: any free one
  std::string media_ip;            // the address our SDP answers name; "": ours toward the upper (its route)
  int expires_s = 3600;            // the registration we ask for (refreshed at half of it)
  int keepalive_s = 60;            // keepalive interval
  int keepalive_misses = 3;        // unanswered keepalives in a row: registration lost, register again
  int catalog_page = 20;           // catalog items per MESSAGE (1-100)
  bool alarms_always = false;      // send every alert as an Alarm notify, subscribed or not
  int max_calls = 64;              // live calls the upper may hold at once; more are refused 486
};

// Reads and checks the YAML file at `path`: an Error naming the file, the key and what is
// wrong (an unknown key, a missing required one, an ID that is not 20 digits, ...).
Result<GbUpperConfig> LoadGbUpperConfig(const std::string& path);
// The same for YAML text (`origin` names it in errors).
Result<GbUpperConfig> ParseGbUpperConfig(const std::string& yaml, const std::string& origin);

}  // namespace xl::router
