/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Constants newer than the UAPI headers this may be built against
 * (Debian bookworm's linux-libc-dev is 6.1 and stops at KVM_EXIT_NOTIFY 37).
 * Values from torvalds/linux include/uapi/linux/kvm.h. */
#ifndef KC_COMPAT_H
#define KC_COMPAT_H

#include <linux/kvm.h>
#include "kvmcompl.h"

#ifndef KVM_EXIT_LOONGARCH_IOCSR
#define KVM_EXIT_LOONGARCH_IOCSR 38
#endif
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif
#ifndef KVM_EXIT_TDX
#define KVM_EXIT_TDX 40
#endif
#ifndef KVM_EXIT_ARM_SEA
#define KVM_EXIT_ARM_SEA 41
#endif
#ifndef KVM_EXIT_ARM_LDST64B
#define KVM_EXIT_ARM_LDST64B 42
#endif
#ifndef KVM_EXIT_SNP_REQ_CERTS
#define KVM_EXIT_SNP_REQ_CERTS 43
#endif

#ifndef KVM_CAP_DISABLE_QUIRKS2
#define KVM_CAP_DISABLE_QUIRKS2 213
#endif
/* arch/x86/include/uapi/asm/kvm.h KVM_X86_QUIRK_OUT_7E_INC_RIP, written out
 * so that every architecture's build knows it */
#define KVM_X86_QUIRK_OUT_7E_INC_RIP_BIT (1ull << 3)

#define KC_KVMIO_TYPE ((unsigned int)KVMIO)
#define KC_REQ_TYPE(req) (((unsigned int)(req) >> 8) & 0xffu)

#endif
