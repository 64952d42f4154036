"""The mail: every message digest sends is composed here. Pure: values in, bytes out.

- ``view``          what a variant shows (topic selection, sections, labels, dates)
- ``html``          Jinja2 templates (templates/email): subject, HTML, plain text
- ``jinja``         the one Jinja2 environment (emails and web pages)
- ``inline``        premailer CSS inlining, once per variant
- ``slots``         markers for the per-subscriber values
- ``mime``          quoted-printable segments and RFC 2047 / RFC 5322 headers
- ``message``       the variant's pre-encoded multipart message and the per-subscriber splice
- ``dkim``          native RSA-SHA256 DKIM signing, relaxed/relaxed
- ``variant``       the whole once-per-variant step, with the 90 KB size cap
- ``compose``       one subscriber's edition message from a rendered variant
- ``envelope``      MAIL FROM and VERP
- ``transactional`` one message to one person now (confirmation, links)

Gettext catalogues and dates are :mod:`digest.i18n`; the sender (digest.deliver) puts
these messages on the wire.
"""
