"""The email: an edition rendered once per variant, personalised per subscriber. Pure.

- ``view``     what a variant shows (topic selection, sections, labels, dates)
- ``i18n``     gettext catalogues (digest/locale/*.po, read at run time) and Babel dates
- ``html``     Jinja2 templates (templates/email): subject, HTML, plain text
- ``inline``   premailer CSS inlining, once per variant
- ``slots``    markers for the per-subscriber values
- ``mime``     quoted-printable segments and RFC 2047 / RFC 5322 headers
- ``message``  the variant's pre-encoded multipart message and the per-subscriber splice
- ``dkim``     native RSA-SHA256 DKIM signing, relaxed/relaxed
- ``variant``  the whole once-per-variant step, with the 90 KB size cap

The sender uses it through :class:`digest.compose.EditionComposer`.
"""
