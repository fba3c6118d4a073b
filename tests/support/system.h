// One running Xueliang system for end-to-end tests: its own directory and ports, and
// helpers to start the real processes (simulator, router, workers, console) on loopback.
// Every link speaks CURVE, as in production: the router's key pair is made with the system,
// each worker's when it first starts (registered in the router's database under its ID), and
// the console's (registered for desk user "admin").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/http_client.h"
#include "tests/support/process.h"

namespace xl::test {

inline constexpr const char* kCamUser = "admin";
inline constexpr const char* kCamPassword = "Pa55word!";               // tests grep logs for it
inline constexpr const char* kAdminPassword = "Adm1n-Desk!";           // the router's first desk user, "admin"
inline constexpr const char* kWorkerToken = "worker-token-for-tests";  // pinned: what the router would send
inline constexpr const char* kMetricsToken = "metrics-token-for-tests";

// Headers of a call to a worker's HTTP port as the router makes it (clips, PTZ).
inline std::vector<std::pair<std::string, std::string>> AsRouter() {
  return {{"Authorization", std::string("Bearer ") + kWorkerToken}};
}
// As Prometheus (/metrics, /gb28181/devices).
inline std::vector<std::pair<std::string, std::string>> AsScraper() {
  return {{"Authorization", std::string("Bearer ") + kMetricsToken}};
}

class NetNamespace;

class System {
 public:
  explicit System(const std::string& name);

  // Runs every process of this system, and its HTTP calls, inside `ns` (a host of a
  // multi-host test, tests/support/net_namespaces.h). Requires: nothing started yet; `ns`
  // outlives the system's processes.
  void RunIn(const NetNamespace* ns) { netns_ = ns; }
  // Starts `argv` as a process of this system (inside its namespace, if any), output to `log`.
  std::unique_ptr<Process> Launch(const std::vector<std::string>& argv, const std::string& log) const;

  // xl-camsim with digest auth (kCamUser/kCamPassword) serving `streams` ("NAME=FILE[,codec=h265]").
  // Returns once it listens (or has exited: a test expecting it up then fails on its own checks).
  std::unique_ptr<Process> StartCamsim(const std::vector<std::string>& streams);
  // The router, with "admin" (kAdminPassword) as its first desk user.
  std::unique_ptr<Process> StartRouter(const std::vector<std::string>& extra = {});
  // Writes `id`.yaml (worker section with `worker_keys` lines, e.g. "  clips: {dir: D}\n",
  // then `rest`: defaults/cameras YAML) and starts xl-ingest.
  std::unique_ptr<Process> StartWorker(const std::string& id, const std::string& rest, int metrics_port = 0,
                                       const std::string& worker_keys = "");
  // xl-console as desk user "admin" (its key), or as the user whose key file `extra` names
  // with "--key FILE".
  std::unique_ptr<Process> StartConsole(const std::string& log, const std::vector<std::string>& extra = {});
  // A new key pair file `name`.key in the system's folder, registered at the router for
  // `kind` ("worker" or "user") `owner`; its path.
  std::string TrustKey(const std::string& name, const std::string& kind, const std::string& owner);
  std::string RouterKeyFile() const { return dir_ + "/router.key"; }
  // Runs the `xl` command line against this router as admin, with `env` ("NAME=value") added
  // to its environment; returns its exit code, output in `out`.
  int RunXl(const std::vector<std::string>& args, std::string* out, const std::vector<std::string>& env = {});

  // The router's session cookie for user admin ("xl_session=…"), logging in the first time.
  std::string AdminCookie();
  // Logs `user` in: its session cookie ("xl_session=…"), "" when refused.
  std::string LoginCookie(const std::string& user, const std::string& password) const;
  // A call to the router's REST API as admin, e.g. Api("GET", "/api/cameras").
  Result<HttpReply> Api(const std::string& method, const std::string& path, const std::string& body = "",
                        const std::string& type = "application/json");

  // A sample of the router's /metrics read as admin, named as it is written there (with its
  // labels, e.g. `xl_link_child_up{site="东村"}`); -1 when absent or unreadable.
  double Metric(const std::string& sample);
  // The keys of the router's own problems the desk shows (GET /api/desk/system).
  std::vector<std::string> Problems();

  // The desk's stored handling steps of an alert, read from the router's database: one
  // "step/user/unit" per step, in order.
  std::vector<std::string> HandlingSteps(const std::string& alert_id) const;

  std::string RtspUrl(const std::string& stream) const;  // the simulator's, without credentials
  // The router's RTSP re-serve, logged in as `login` ("user:password"; "" for none).
  std::string RelayUrl(const std::string& camera,
                       const std::string& login = std::string("admin:") + kAdminPassword) const;
  int RelayPort() const { return relay_port_; }  // the router's RTSP re-serve
  std::string WorkerEndpoint() const { return "tcp://127.0.0.1:" + std::to_string(worker_port_); }
  std::string ClientEndpoint() const { return "tcp://127.0.0.1:" + std::to_string(client_port_); }
  std::string ControlEndpoint() const { return "tcp://127.0.0.1:" + std::to_string(control_port_); }
  std::string MediaEndpoint() const { return "tcp://127.0.0.1:" + std::to_string(media_port_); }
  // Native clients' sealed live video (they are told its port).
  std::string VideoEndpoint() const { return "tcp://127.0.0.1:" + std::to_string(video_port_); }
  std::string HttpBase() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  int HttpPort() const { return http_port_; }
  std::string Database() const { return db_dir_ + "/xueliang.db"; }
  // The router's database goes in `dir` (e.g. a SmallDisk) instead of the system's folder.
  // Requires: no router or worker started yet (their keys are registered in it).
  void PutDatabaseIn(const std::string& dir) { db_dir_ = dir; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string db_dir_;  // where the router's database is: dir_ unless moved
  int rtsp_port_, worker_port_, client_port_, control_port_, media_port_, video_port_, http_port_, relay_port_;
  int xl_runs_ = 0;
  std::string admin_cookie_;
  const NetNamespace* netns_ = nullptr;
  // HttpCall from inside the system's namespace.
  Result<HttpReply> Call(const std::string& method, const std::string& url, const std::string& body = "",
                         const std::string& type = "application/json", int timeout_s = 60,
                         const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
};

// Keys for processes started by hand (benchmarks): a key pair file `dir`/`name`.key (made
// when missing), registered in the router database `database` for `kind` ("worker" or
// "user") `owner`; its path.
std::string TrustKeyIn(const std::string& dir, const std::string& database, const std::string& name,
                       const std::string& kind, const std::string& owner);
// `dir`/router.key, made when missing: a router's --key.
std::string RouterKeyIn(const std::string& dir);
// The key lines of worker `id`'s section, YAML flow style ("key_file: …, router_key: …"),
// its key registered in `database` and the router's being RouterKeyIn(`dir`).
std::string WorkerKeysIn(const std::string& dir, const std::string& database, const std::string& id);

// A worker's Prometheus sample `name{camera="id"}` from its /metrics on `port` (-1 when absent).
double CameraMetric(int port, const std::string& name, const std::string& camera);

}  // namespace xl::test
