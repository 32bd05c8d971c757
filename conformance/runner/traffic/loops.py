"""Loop shapes shared by the traffic steps (FORMAT §8.0) and the weight check (§9.1)."""
import concurrent.futures
import math
import time

from ..util import strip_pod_hash


def consistent_loop(attempt, n, limit, deadline=math.inf, pause=1.0):
    """Run attempt() until n passes in a row. attempt returns None (pass) or a reason.

    Returns None on success or the last failure reason. `deadline` is an absolute monotonic cut-off (group budget).
    """
    start = time.monotonic()
    end = min(start + limit, deadline)
    passes = 0
    last = 'no attempt made'
    while True:
        if time.monotonic() >= end:
            return f'{last} (gave up after {time.monotonic() - start:.1f}s)'
        reason = attempt()
        if reason is None:
            passes += 1
            if passes >= n:
                return None
            continue
        last = reason
        passes = 0
        if time.monotonic() + pause >= end:
            time.sleep(max(0.0, end - time.monotonic()))
            return f'{last} (gave up after {time.monotonic() - start:.1f}s)'
        time.sleep(pause)


def weight_round(sample, weights, samples=500, concurrency=10):
    """One §9.1 round. sample() returns a pod name or raises Exception (sample error).

    Returns None when the round passes, else a reason.
    """
    counts = {}
    errors = []

    def one(_):
        try:
            pod = sample()
        except Exception as e:   # a sample error ends the round
            return None, str(e) or type(e).__name__
        return pod, None

    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as ex:
        for pod, err in ex.map(one, range(samples)):
            if err is not None:
                errors.append(err)
                continue
            backend = strip_pod_hash(pod)
            counts[backend] = counts.get(backend, 0) + 1
    if errors:
        return f'{len(errors)} sample errors, first: {errors[0]}'
    return weights_verdict(counts, weights, samples)


def weights_verdict(counts, weights, samples, tolerance=0.05):
    unknown = [b for b in counts if b not in weights]
    if unknown:
        return f'traffic reached unexpected backends {sorted(unknown)} (counts {counts})'
    expected_set = {b for b, w in weights.items() if w > 0}
    if set(counts) != expected_set:
        return f'backends hit {sorted(counts)} != backends with weight > 0 {sorted(expected_set)} (counts {counts})'
    for b, w in weights.items():
        frac = counts.get(b, 0) / samples
        if abs(frac - w) > tolerance + 1e-12:
            return f'backend {b} got {frac:.3f} of traffic, expected {w} ± {tolerance} (counts {counts})'
    return None


def weights_loop(sample, weights, rounds=10, samples=500, concurrency=10, deadline=math.inf):
    last = None
    for i in range(rounds):
        if time.monotonic() >= deadline:
            return f'time budget expired after {i} rounds; last: {last}'
        last = weight_round(sample, weights, samples, concurrency)
        if last is None:
            return None
    return f'{rounds} rounds failed; last: {last}'


def mirror_bounds(n, percent, k):
    p = percent / 100.0
    mean = n * p
    sd = math.sqrt(n * p * (1 - p))
    return mean - k * sd, mean + k * sd
