"""Real client libraries end to end against VaultKey: RQ (job queue) and Celery with the Redis
broker and result backend."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def test_rq_enqueue_run_and_failures(vk_server):
    import rq  # installed by tests/run-all.sh; a missing package fails the test
    import rq_jobs

    conn = vk_server.client()
    q = rq.Queue("default", connection=conn)
    jobs = [q.enqueue(rq_jobs.add, i, i) for i in range(20)]
    bad = q.enqueue(rq_jobs.fail)
    w = rq.SimpleWorker([q], connection=conn)
    w.work(burst=True)
    for i, j in enumerate(jobs):
        j.refresh()
        assert j.get_status() == "finished"
        assert j.return_value() == 2 * i
    bad.refresh()
    assert bad.get_status() == "failed"
    assert len(q) == 0


def test_celery_task_round_trip(vk_server):
    import celery
    from celery.contrib.testing.worker import start_worker

    url = f"redis://127.0.0.1:{vk_server.port}/0"
    app = celery.Celery("vk", broker=url, backend=url)
    app.conf.update(broker_connection_retry_on_startup=True, task_always_eager=False)

    @app.task
    def mul(a, b):
        return a * b

    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1):
        results = [mul.delay(i, 3) for i in range(10)]
        assert [r.get(timeout=30) for r in results] == [3 * i for i in range(10)]
