"""The domain: rules and use cases, one package per bounded context, one module per use case.

    common/        errors, clock, policy, personal data, tokens, passwords, history, outbox,
                   the platform error vocabulary
    identity/      trainee sessions, bureau logins, face verification, binding a person
    qr/            signed rotating codes, their keys, the offline check, revocations
    batches/       creating and publishing batches, eligibility and roster files, revoking, expiry
    claiming/      the claim and its gate and writer, the card center, the wallet, roster import
    institutions/  the registry, staff logins and caches, webhooks, notices, staff binding
    scanning/      verify, enrol and check-in by scan, location check-in, annulment
    settlement/    completion, subsidy, standards, review, the training archive
    reporting/     statistics and exports
    notices/       outbox leases, reminders, the subscribe-message sender, consent, digests
    services.py    what the use cases need from outside, and the per-process state

No HTTP and no WeChat/Alipay specifics live here: platforms are behind the interfaces defined
here (`platforms/` implements them), and the import-linter contracts in pyproject.toml hold it.
"""
