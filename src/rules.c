#include "config.h"

#include "rules.h"

const struct kc_exit_rule *kc_exit_rule(const struct kc_arch_rules *rules,
					const struct kvm_run *run)
{
	for (size_t i = 0; i < rules->n_exits; i++) {
		const struct kc_exit_rule *r = &rules->exits[i];

		if (r->exit_reason != run->exit_reason)
			continue;
		switch (r->subtype) {
		case KC_SUB_ANY:
			return r;
		case KC_SUB_HYPERV_TYPE:
			if (run->hyperv.type == r->value)
				return r;
			break;
		case KC_SUB_MMIO_READ:
			if (!run->mmio.is_write)
				return r;
			break;
		}
	}
	return NULL;
}

static const struct kc_request *find_request(const struct kc_arch_rules *rules,
					     unsigned int request)
{
	for (size_t i = 0; i < rules->n_requests; i++)
		if (rules->requests[i].request == request)
			return &rules->requests[i];
	return NULL;
}

enum kc_req_class kc_request_class(const struct kc_arch_rules *rules,
				   unsigned int request)
{
	const struct kc_request *r = find_request(rules, request);

	return r ? r->class : KC_REQ_OTHER;
}

const char *kc_request_name(const struct kc_arch_rules *rules,
			    unsigned int request)
{
	const struct kc_request *r = find_request(rules, request);

	return r ? r->name : NULL;
}

#if defined(__x86_64__) || defined(__i386__)
const struct kc_arch_rules *const kc_rules = &kc_rules_x86;
#else
/* Other architectures' tables come with their own rules file; until then
 * nothing is flagged or completed there (pass-through). */
static const struct kc_arch_rules no_rules = { "none", NULL, 0, NULL, 0, 0 };
const struct kc_arch_rules *const kc_rules = &no_rules;
#endif
