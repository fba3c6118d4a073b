// What a router's alert log holds, read straight from its SQLite database (tests compare it
// with what workers raised or what another router holds).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace xl::test {

// "alert-id phase" of every logged message, per camera, in log order.
using AlertsByCamera = std::map<std::string, std::vector<std::string>>;

struct LoggedAlert {
  std::string camera_id;
  std::string alert_id;
  std::string phase;
  std::string site;        // where below the router it was raised ("" : its own workers)
  std::string end_reason;  // set on the ENDs the router made itself ("worker lost", ...)
};

// Every logged message in log order (empty when the database cannot be read).
std::vector<LoggedAlert> ReadAlertLog(const std::string& db_path);

// ReadAlertLog grouped by camera; without the ENDs a router made itself unless `router_made`.
AlertsByCamera Logged(const std::string& db_path, bool router_made = false);

// How many messages in all.
size_t Count(const AlertsByCamera& alerts);

}  // namespace xl::test
