#include "ingest/reaper.h"

#include <malloc.h>

#include "common/clock.h"

namespace xl::ingest {

Reaper::Reaper() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      bool drained;
      {
        Attempt a = std::move(queue_.front());
        queue_.pop_front();
        drained = queue_.empty();
        lock.unlock();
        a.pipeline.reset();  // blocks until the streaming threads are gone
        if (a.session) a.session->Close(NowMs(), a.end_reason);
      }
      // A pipeline's streaming threads allocated from malloc arenas of their own, which keep
      // what they freed: hand it back to the system once a batch of pipelines is gone, or a
      // worker whose cameras come and go grows for good (bench/soak).
      if (drained) malloc_trim(0);
      lock.lock();
    }
  });
}

Reaper::~Reaper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Reaper::Retire(Attempt attempt) {
  if (!attempt.pipeline && !attempt.session) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(attempt));
  }
  cv_.notify_one();
}

}  // namespace xl::ingest
