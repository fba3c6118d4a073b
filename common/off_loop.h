// Slow, self-contained work (a password hash) off the GLib loop thread: `work` runs on a
// thread of GLib's pool (GTask), then `done` runs with its result on the thread-default main
// context of the caller — the loop thread — so it may touch that thread's state.
//
// `work` must not touch loop-thread state (copy what it needs into the lambda). `done` is
// skipped when `alive` has expired by then (its owner is gone).
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <utility>

namespace xl {

template <typename T>
void RunOffLoop(std::function<T()> work, std::function<void(T)> done, std::weak_ptr<void> alive) {
  struct Job {
    std::function<T()> work;
    std::function<void(T)> done;
    std::weak_ptr<void> alive;
    T result{};
  };
  auto* job = new Job{std::move(work), std::move(done), std::move(alive)};
  GTask* task = g_task_new(
      nullptr, nullptr,
      [](GObject*, GAsyncResult* result, gpointer) {
        auto* j = static_cast<Job*>(g_task_get_task_data(G_TASK(result)));
        if (!j->alive.expired()) j->done(std::move(j->result));
      },
      nullptr);
  g_task_set_task_data(task, job, [](gpointer p) { delete static_cast<Job*>(p); });
  g_task_run_in_thread(task, [](GTask* t, gpointer, gpointer data, GCancellable*) {
    auto* j = static_cast<Job*>(data);
    j->result = j->work();
    g_task_return_boolean(t, TRUE);
  });
  g_object_unref(task);
}

}  // namespace xl
