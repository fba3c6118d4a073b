#include "ingest/worker.h"

#include <glib-unix.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>

#include "common/bearer_token.h"
#include "common/clock.h"
#include "common/prometheus.h"
#include "proto/gb28181/channel_url.h"
#include "proto/wire/wire.h"

namespace xl::ingest {

namespace {

std::vector<wire::CameraSpec> SeedOf(const WorkerConfig& config) {
  std::vector<wire::CameraSpec> seed;
  for (const CameraConfig& c : config.cameras) seed.push_back(SpecFromConfig(c));
  return seed;
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

Worker::Worker(WorkerConfig config, const CurveClientKeys& keys, std::unique_ptr<delivery::Outbox> outbox,
               zmq::context_t& ctx)
    : config_(std::move(config)),
      publisher_(ctx, config_.router, keys, config_.id, std::move(outbox)),
      control_(ctx, config_.control, keys, config_.id, SeedOf(config_)),
      media_(ctx, config_.media, keys),
      clips_(config_.clips),
      recordings_(config_.recordings) {}

Worker::~Worker() = default;

bool Worker::ForRouter(const HttpRequest& r) const { return BearerMatches(r, http_token_); }

bool Worker::ForOps(const HttpRequest& r) const {
  return BearerMatches(r, http_token_) || BearerMatches(r, config_.metrics_token);
}

HttpReply Worker::Unauthorised() {
  return {401, "application/json",
          "{\"error\":\"send Authorization: Bearer <token>: the router's (over its control channel), or "
          "XL_METRICS_TOKEN for /metrics and /gb28181/devices\"}"};
}

int Worker::Run() {
  loop_.reset(g_main_loop_new(nullptr, FALSE));
  if (config_.metrics_port) {
    auto http = HttpServer::Listen(config_.http_address, config_.metrics_port);
    if (!http.ok()) {
      spdlog::error("worker {}: {}", config_.id, http.error().message);
      return 1;
    }
    http_ = std::move(http.value());
    // Clips, recordings and PTZ answer only the router (the token it learnt over CURVE); /metrics and the
    // device list also Prometheus (XL_METRICS_TOKEN); /healthz anyone.
    http_->Route("/metrics", [this](const HttpRequest& r) { return ForOps(r) ? Metrics() : Unauthorised(); });
    http_->Route("/clips/", [this](const HttpRequest& r) { return ForRouter(r) ? Clip(r) : Unauthorised(); });
    http_->RouteAsync("/recordings/", [this](const HttpRequest& r, HttpServer::Responder respond) {
      if (!ForRouter(r)) return respond(Unauthorised());
      recording_api_.Serve(r, std::move(respond));
    });
    http_->Route("/healthz", [](const HttpRequest&) { return HttpReply{200, "text/plain", "ok\n"}; });
    control_.SetHttp(http_->port(), http_token_);
  }
  if (config_.gb28181.enabled) {
    gb28181::GbPlatform::Hooks hooks{
        [this](const wire::GbChannels& report) { control_.ReportGbChannels(report); },
        [this](const std::string& device, bool back, const std::string& why) { OnGbDevice(device, back, why); }};
    auto gb = gb28181::GbPlatform::Start(config_.id, config_.gb28181, std::move(hooks));
    if (!gb.ok()) {
      spdlog::error("worker {}: {}", config_.id, gb.error().message);
      return 1;
    }
    gb_ = std::move(gb.value());
    recording_api_.SetDeviceRecords(
        [this](const std::string& camera, int64_t from_ms, int64_t to_ms, std::function<void(nlohmann::json)> done) {
          return DeviceRecords(camera, from_ms, to_ms, std::move(done));
        });
    // A camera of this worker that is a GB/T 28181 channel: its settings and address.
    auto channel_of = [this](const std::string& camera) -> std::optional<gb28181::DeviceDownloads::Channel> {
      auto it = cameras_.find(camera);
      if (it == cameras_.end()) return std::nullopt;
      auto address = gb28181::ParseGbUrl(it->second.camera->config().url);
      if (!address) return std::nullopt;
      return gb28181::DeviceDownloads::Channel{it->second.camera->config(), *address};
    };
    downloads_ = std::make_unique<gb28181::DeviceDownloads>(gb_->sip(), recordings_, channel_of, config_.video_nice);
    playbacks_ = std::make_unique<gb28181::DevicePlaybacks>(gb_->sip(), channel_of, config_.video_nice);
    recording_api_.SetDeviceCalls([this](const std::string& rest, const HttpRequest& r) -> std::optional<HttpReply> {
      if (auto reply = downloads_->Serve(rest, r)) return reply;
      return playbacks_->Serve(rest, r);
    });
  }
  if (http_) {
    http_->Route("/gb28181/devices", [this](const HttpRequest& r) {
      return ForOps(r) ? gb28181::GbPlatform::Devices(gb_.get()) : Unauthorised();
    });
    http_->Route("/gb28181/ptz", [this](const HttpRequest& r) {
      return ForRouter(r) ? gb28181::GbPlatform::PtzRequest(gb_.get(), r) : Unauthorised();
    });
  }
  spdlog::info("worker {}: router {}, control {}, {} cameras offered from the file{}", config_.id, config_.router,
               config_.control, config_.cameras.size(),
               http_ ? ", metrics on port " + std::to_string(http_->port()) : "");
  guint tick = g_timeout_add(200, &Worker::OnTick, this);
  guint status = g_timeout_add_seconds(guint(config_.status_interval_s), &Worker::OnStatus, this);
  guint gb_report = g_timeout_add_seconds(60, &Worker::OnGbReport, this);
  guint sigint = g_unix_signal_add(SIGINT, &Worker::OnSignal, this);
  guint sigterm = g_unix_signal_add(SIGTERM, &Worker::OnSignal, this);
  OnTick(this);
  g_main_loop_run(loop_.get());
  for (guint id : {tick, status, gb_report, sigint, sigterm}) g_source_remove(id);

  spdlog::info("worker {}: stopping", config_.id);
  for (auto& [id, r] : cameras_) r.camera->Stop(MonotonicMs());
  OnStatus(this);
  return 0;
}

std::string Worker::PipelineSettings(const wire::CameraSpec& spec) {
  wire::CameraSpec kept = spec;
  kept.clear_name();
  kept.clear_region();
  kept.clear_pinned_worker();
  return kept.SerializeAsString();
}

void Worker::Reconcile(const wire::Assignment& assignment, int64_t now_ms) {
  std::set<std::string> wanted;
  int started = 0, restarted = 0, stopped = 0, refused = 0;
  for (const wire::CameraSpec& spec : assignment.cameras()) {
    std::string bytes = PipelineSettings(spec);
    auto it = cameras_.find(spec.id());
    if (it != cameras_.end() && it->second.spec == bytes) {
      wanted.insert(spec.id());
      // Nothing its pipeline uses changed (a GB28181 call especially is never torn down for
      // a catalog refresh): a new name or region is taken on the fly.
      if (it->second.label != LabelOf(spec)) {
        if (auto relabelled = camera::CameraFromSpec(spec); relabelled.ok()) {
          it->second.camera->Relabel(relabelled->name, relabelled->region);
          it->second.label = LabelOf(spec);
        }
      }
      continue;
    }
    auto config = camera::CameraFromSpec(spec);
    if (!config.ok()) {
      spdlog::error("worker {}: camera refused: {}", config_.id, config.error().message);
      ++refused;
      continue;
    }
    wanted.insert(spec.id());
    if (it != cameras_.end()) {
      spdlog::info("camera {} ({}): settings changed, restarting", spec.id(), spec.name());
      it->second.camera->Stop(now_ms);
      cameras_.erase(it);
      ++restarted;
    } else {
      ++started;
    }
    Running r{
        std::make_unique<Camera>(std::move(config.value()), config_.id, publisher_, media_, clips_, recordings_,
                                 reaper_, SourceContext{config_.id, gb_ ? &gb_->sip() : nullptr, config_.video_nice}),
        std::move(bytes), LabelOf(spec)};
    r.camera->SetLive(watched_.count(spec.id()) > 0);
    r.camera->Start(now_ms);
    cameras_.emplace(spec.id(), std::move(r));
  }
  for (auto it = cameras_.begin(); it != cameras_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    it->second.camera->Stop(now_ms);
    it = cameras_.erase(it);
    ++stopped;
  }
  control_.Applied(assignment.version());
  if (started || restarted || stopped || refused) {
    spdlog::info("worker {}: assignment {}: {} cameras; {} started, {} restarted, {} stopped, {} refused", config_.id,
                 assignment.version(), cameras_.size(), started - restarted, restarted, stopped, refused);
  }
}

void Worker::ApplyWatch() {
  for (auto& [id, r] : cameras_) r.camera->SetLive(watched_.count(id) > 0);
}

gboolean Worker::OnTick(gpointer self) {
  auto* w = static_cast<Worker*>(self);
  const int64_t now = MonotonicMs();
  // Everything on this loop (SIP, control, camera states) waited that long: say so.
  if (w->last_tick_ms_ && now - w->last_tick_ms_ >= 2000) {
    ++w->loop_stalls_;
    spdlog::warn("worker {}: main loop held up for {:.1f} s (SIP, control and camera states waited)", w->config_.id,
                 double(now - w->last_tick_ms_) / 1000.0);
  }
  w->last_tick_ms_ = now;
  auto got = w->control_.Poll(now);
  if (got.watch) w->watched_ = {got.watch->camera_ids().begin(), got.watch->camera_ids().end()};
  if (got.assignment) w->Reconcile(*got.assignment, now);
  if (got.watch) w->ApplyWatch();
  for (const wire::PtzCommand& c : got.ptz) w->OnPtz(c);
  for (auto& [id, r] : w->cameras_) r.camera->Tick(now);
  if (w->downloads_) w->downloads_->Tick();
  if (w->playbacks_) w->playbacks_->Tick();
  return G_SOURCE_CONTINUE;
}

gboolean Worker::OnGbReport(gpointer self) {
  auto* w = static_cast<Worker*>(self);
  if (w->gb_) w->gb_->ReportCatalogs();
  return G_SOURCE_CONTINUE;
}

void Worker::OnPtz(const wire::PtzCommand& c) {
  auto it = cameras_.find(c.camera_id());
  const auto gb = it == cameras_.end() ? std::nullopt : gb28181::ParseGbUrl(it->second.camera->config().url);
  if (!gb) {
    spdlog::warn("worker {}: PTZ for camera {} dropped: not a GB28181 camera of this worker", config_.id,
                 c.camera_id());
    return;
  }
  Result<std::string> sent =
      gb_ ? gb_->Ptz(gb->device_id, gb->channel_id, c.action(), c.speed() ? int(c.speed()) : 128, int(c.preset()))
          : Result<std::string>(Error{"GB28181 is not enabled on this worker"});
  if (!sent.ok()) {
    spdlog::warn("camera {} ({}): PTZ {} not sent: {}", c.camera_id(), it->second.camera->config().name, c.action(),
                 sent.error().message);
  }
}

gboolean Worker::OnStatus(gpointer self) {
  auto* w = static_cast<Worker*>(self);
  const int64_t now = MonotonicMs();
  const double cpu = ProcessCpuSeconds();
  if (w->cpu_base_s_ >= 0 && now > w->cpu_base_ms_)
    w->cpu_cores_ = (cpu - w->cpu_base_s_) * 1000.0 / double(now - w->cpu_base_ms_);
  w->cpu_base_s_ = cpu;
  w->cpu_base_ms_ = now;
  wire::Envelope env;
  wire::WorkerStatus* status = env.mutable_status();
  status->set_worker(w->config_.id);
  status->set_cpu_cores(float(w->cpu_cores_));
  const delivery::OutboxStats kept = w->publisher_.outbox();
  wire::OutboxStatus* outbox = status->mutable_outbox();
  outbox->set_messages(kept.kept);
  outbox->set_bytes(uint64_t(kept.kept_bytes));
  outbox->set_max_bytes(uint64_t(w->config_.outbox.max_bytes));
  const RecordingStore::Health rec = w->recordings_.health();
  wire::RecordingStatus* recording = status->mutable_recording();
  recording->set_enabled(rec.enabled);
  recording->set_problem(rec.problem);
  recording->set_bytes(uint64_t(rec.bytes));
  recording->set_segments(uint64_t(rec.segments));
  recording->set_free_bytes(uint64_t(std::max<int64_t>(0, rec.free_bytes)));
  recording->set_recording(uint32_t(rec.recording));
  recording->set_deleted(uint64_t(rec.deleted));
  outbox->set_snapshots_dropped(kept.shrunk);
  outbox->set_reports_dropped(kept.dropped);
  outbox->set_messages_lost(kept.lost);
  for (auto& [id, r] : w->cameras_) {
    r.camera->MeasureRates(now);
    *status->add_cameras() = r.camera->Describe();
  }
  w->publisher_.Publish(std::move(env));
  return G_SOURCE_CONTINUE;
}

HttpReply Worker::Metrics() const {
  PromText m;
  std::map<std::string, int> by_state;
  for (const auto& [id, r] : cameras_) by_state[StateName(r.camera->state())]++;
  m.Family("xl_worker_cameras", "gauge", "Cameras this worker runs, by state.");
  for (const char* st : {"connecting", "online", "offline", "reconnecting"}) m.Sample(by_state[st], {{"state", st}});
  m.Metric("xl_worker_cpu_cores", "gauge", "CPU used by this worker over the last status interval.", cpu_cores_);
  m.Metric("xl_worker_loop_stalls_total", "counter",
           "Times the worker's main loop (SIP, control, camera states) was held up for 2 s or more.",
           double(loop_stalls_));
  m.Metric("xl_publisher_sent_total", "counter", "Messages sent to the router (again after a silence, too).",
           double(publisher_.sent()));
  const delivery::OutboxStats box = publisher_.outbox();
  m.Metric("xl_outbox_messages", "gauge", "Messages kept until the router acknowledges them.", double(box.kept));
  m.Metric("xl_outbox_bytes", "gauge", "What the kept messages take on disk.", double(box.kept_bytes));
  m.Metric("xl_outbox_acked_total", "counter", "Messages the router acknowledged.", double(box.acked));
  m.Metric("xl_outbox_snapshots_dropped_total", "counter", "Alert snapshots given up because the outbox was full.",
           double(box.shrunk));
  m.Metric("xl_outbox_reports_dropped_total", "counter", "Status reports given up because the outbox was full.",
           double(box.dropped));
  m.Metric("xl_outbox_messages_lost_total", "counter",
           "Alerts and camera states given up because the outbox was full, or could not be written.",
           double(box.lost + publisher_.unwritable()));
  m.Metric("xl_video_frames_sent_total", "counter", "Live video frames sent to the router.", double(media_.sent()));
  m.Metric("xl_video_frames_dropped_total", "counter", "Live video frames dropped (router behind or away).",
           double(media_.dropped()));
  const ClipStore::Stats clips = clips_.stats();
  m.Metric("xl_clips", "gauge", "Event clips in the clips folder.", double(clips.clips));
  m.Metric("xl_clips_bytes", "gauge", "Bytes of event clips in the clips folder.", double(clips.bytes));
  m.Metric("xl_clips_written_total", "counter", "Event clips written.", double(clips.written));
  m.Metric("xl_clips_failed_total", "counter", "Event clips that could not be written.", double(clips.failed));
  m.Metric("xl_clips_deleted_total", "counter", "Event clips deleted by retention.", double(clips.deleted));
  const std::pair<const char*, const char*> families[] = {
      {"xl_camera_bytes_total", "Encoded video bytes received."},
      {"xl_camera_frames_decoded_total", "Frames decoded."},
      {"xl_camera_frames_analysed_total", "Frames analysed."},
      {"xl_camera_decode_warnings_total", "Decoder and stream warnings."},
      {"xl_camera_reconnects_total", "Reconnect attempts."},
      {"xl_camera_rtp_malformed_total", "GB28181: packets that were not RTP, dropped."},
      {"xl_camera_rtp_foreign_ssrc_total", "GB28181: RTP packets of another SSRC, dropped."},
      {"xl_camera_rtp_ssrc_adopted_total",
       "GB28181: times the device's video came with another SSRC than agreed, "
       "and it was taken on."}};
  for (int f = 0; f < 8; ++f) {
    m.Family(families[f].first, "counter", families[f].second);
    for (const auto& [id, r] : cameras_) {
      const PipelineCounters& c = r.camera->counters();
      const uint64_t v[] = {c.bytes.load(),       c.decoded.load(),       c.analysed.load(),
                            c.warnings.load(),    r.camera->reconnects(), c.rtp_malformed.load(),
                            c.rtp_foreign.load(), c.ssrc_adopted.load()};
      m.Sample(double(v[f]), {{"camera", id}});
    }
  }
  return {200, "text/plain; version=0.0.4", m.text()};
}

HttpReply Worker::Clip(const HttpRequest& request) const {
  const std::string relative = request.path.substr(std::string("/clips/").size());
  if (request.method != "GET") return {405, "text/plain", "GET only\n"};
  if (!clips_.enabled()) return {404, "text/plain", "this worker keeps no clips\n"};
  // Paths are "<camera id>/<day>/<event id>.mp4": nothing that could leave the folder.
  const bool plain = relative.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_./") ==
                     std::string::npos;
  if (!plain || relative.find("..") != std::string::npos || !relative.ends_with(".mp4")) {
    return {400, "text/plain", "not a clip path\n"};
  }
  std::ifstream in(clips_.dir() + "/" + relative, std::ios::binary);
  if (!in) return {404, "text/plain", "no such clip (not written yet, or deleted by retention)\n"};
  std::ostringstream body;
  body << in.rdbuf();
  return {200, "video/mp4", body.str()};
}

void Worker::OnGbDevice(const std::string& device_id, bool back, const std::string& reason) {
  const int64_t now = MonotonicMs();
  for (auto& [id, r] : cameras_) {
    const auto gb = gb28181::ParseGbUrl(r.camera->config().url);
    if (!gb || gb->device_id != device_id) continue;
    if (back) r.camera->RetryNow(now);
    else r.camera->SourceLost(now, reason);
  }
}

gboolean Worker::OnSignal(gpointer self) {
  g_main_loop_quit(static_cast<Worker*>(self)->loop_.get());
  return G_SOURCE_CONTINUE;
}

bool Worker::DeviceRecords(const std::string& camera, int64_t from_ms, int64_t to_ms,
                           std::function<void(nlohmann::json)> done) {
  auto it = cameras_.find(camera);
  const auto address = it == cameras_.end() ? std::nullopt : gb28181::ParseGbUrl(it->second.camera->config().url);
  if (!gb_ || !address) return false;
  const std::string name = camera + " (" + it->second.camera->config().name + ")";
  const Status asked = gb_->sip().QueryRecords(
      address->device_id, address->channel_id, from_ms, to_ms, [done, name](const gb28181::RecordsResult& r) {
        nlohmann::json items = nlohmann::json::array();
        for (const gb28181::RecordItem& i : r.items) {
          items.push_back({{"start_ms", i.start_ms},
                           {"end_ms", i.end_ms},
                           {"name", i.name},
                           {"type", i.type},
                           {"file_path", i.file_path}});
        }
        if (!r.complete) spdlog::warn("gb28181: recordings of camera {} on its device: {}", name, r.detail);
        done({{"device_records", std::move(items)}, {"device_complete", r.complete}, {"device_note", r.detail}});
      });
  if (!asked.ok()) {
    done({{"device_records", nlohmann::json::array()}, {"device_complete", false}, {"device_note", asked.message()}});
  }
  return true;
}

}  // namespace xl::ingest
