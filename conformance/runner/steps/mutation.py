"""Mutation steps (FORMAT §7)."""
import copy
import ipaddress
import time

from ..fleet import pod_endpoint
from ..util import StepFailed, get_list_for_edit, merge_patch, parse_duration, parse_nsname, parse_ref, set_field


def apply(run, v):
    if 'file' in v:
        run.apply_file(v['file'], replace=False)
    else:
        run.apply_objects(v['objects'], replace=False)


def edit_object(obj, v):
    """Pure: the edited copy of obj for one edit step value (§7.2)."""
    obj = copy.deepcopy(obj)
    if 'set' in v:
        for path, value in v['set'].items():
            set_field(obj, path, value)
    elif 'merge' in v:
        obj = merge_patch(obj, v['merge'])
    elif 'append' in v:
        for path, items in v['append'].items():
            get_list_for_edit(obj, path, create=True).extend(copy.deepcopy(items))
    elif 'removeWhere' in v:
        for path, match in v['removeWhere'].items():
            lst = get_list_for_edit(obj, path, create=False)
            lst[:] = [i for i in lst if not (isinstance(i, dict) and all(i.get(k) == val for k, val in match.items()))]
    return obj


def edit(run, v):
    key = parse_ref(v['ref'])
    obj = run.env.store.get(key)
    if obj is None:
        raise StepFailed(f'{v["ref"]}: the runner holds no such object to edit')
    try:
        new = edit_object(obj, v)
    except KeyError as e:
        raise StepFailed(f'{v["ref"]}: {e}') from None
    try:
        run.env.write_objects([new])
    except OSError as e:
        raise StepFailed(f'write {v["ref"]}: {e}') from None


def delete(run, v):
    key = parse_ref(v['ref'])
    if not run.env.store.exists(key):
        raise StepFailed(f'{v["ref"]} does not exist')
    try:
        run.env.delete_object(key)
    except OSError as e:
        raise StepFailed(f'delete {v["ref"]}: {e}') from None
    run.deleted.add(key)


def sleep(run, v):
    secs = parse_duration(v)
    left = run.deadline() - time.monotonic()
    if secs > left:
        time.sleep(max(0.0, left))
        raise StepFailed(f'time budget of {run.deadline_label()} expired')
    time.sleep(secs)


def _family(ip):
    return 'IPv6' if ipaddress.ip_address(ip).version == 6 else 'IPv4'


def endpoint_slices_from_pods(run, v):
    ns, name = parse_nsname(v['deployment'])
    pods = run.env.fleet.deployment_pods(ns, name)
    if not pods:
        raise StepFailed(f'Deployment {ns}/{name} has no pods')
    updated = []
    for ref in v['slices']:
        key = parse_ref(ref)
        sl = run.env.store.get(key)
        if sl is None:
            raise StepFailed(f'{ref}: no such EndpointSlice')
        fam = sl.get('addressType', 'IPv4')
        eps = [pod_endpoint(p) for p in pods if _family(p.ip) == fam]
        if not eps:
            continue
        sl = copy.deepcopy(sl)
        sl['endpoints'] = eps
        updated.append(sl)
    if updated:
        try:
            run.env.write_objects(updated)
        except OSError as e:
            raise StepFailed(f'write EndpointSlices: {e}') from None


HANDLERS = {
    'apply': apply,
    'edit': edit,
    'delete': delete,
    'sleep': sleep,
    'endpointSlicesFromPods': endpoint_slices_from_pods,
}
