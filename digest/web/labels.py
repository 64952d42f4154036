"""The words of the subscriber pages, in French and English.

Plain dictionaries: a page needs a few dozen short strings, and keeping both languages
side by side makes a missing translation visible (tests check both have the same keys).
Placeholders are ``str.format`` fields filled in the templates; the result is escaped
there like any other text.
"""

from __future__ import annotations

from digest.models import SUPPORTED_LANGUAGES

#: Version of the consent wording on the subscribe form; stored with each consent
#: (``web-<version>/<language>``), so the exact text a person agreed to can be shown.
CONSENT_VERSION = "2026-11"

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "tagline": "L'essentiel de l'information en cinq minutes, chaque matin.",
        "switch_language": "Read in English",
        "privacy": "Votre adresse sert uniquement à vous envoyer la newsletter. Elle n'est ni vendue ni partagée.",
        "subscribe_title": "S'abonner à {newsletter}",
        "subscribe_intro": "Chaque matin, un e-mail qui se lit en cinq minutes : les titres du jour, "
        "résumés en quelques lignes, avec le lien vers chaque article.",
        "email_label": "Adresse e-mail",
        "email_hint": "Vous recevrez un e-mail pour confirmer votre inscription.",
        "name_label": "Prénom (facultatif)",
        "language_label": "Langue de la newsletter",
        "consent_label": "J'accepte de recevoir {newsletter} par e-mail chaque matin. Je peux me désabonner "
        "à tout moment grâce au lien présent dans chaque envoi.",
        "subscribe_button": "Je m'abonne",
        "honeypot_label": "Laissez ce champ vide",
        "error_summary": "Le formulaire contient une erreur",
        "error_email": "Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr.",
        "error_consent": "Cochez la case pour accepter de recevoir la newsletter.",
        "error_field": "Vérifiez ce champ : {detail}",
        "check_title": "Vérifiez votre boîte de réception",
        "check_body": "Si cette adresse peut recevoir {newsletter}, un e-mail de confirmation vient de lui "
        "être envoyé. Cliquez sur le lien qu'il contient pour terminer votre inscription.",
        "check_spam": "Rien reçu d'ici quelques minutes ? Regardez dans les courriers indésirables.",
        "confirm_title": "Confirmez votre inscription",
        "confirm_body": "Un dernier clic pour recevoir {newsletter} à l'adresse {email}.",
        "confirm_button": "Confirmer mon inscription",
        "confirmed_banner": "C'est confirmé : vous recevrez {newsletter} dès la prochaine édition.",
        "prefs_title": "Vos préférences",
        "prefs_intro": "Réglages de {newsletter} pour {email}.",
        "prefs_pending": "Votre inscription n'est pas encore confirmée : ouvrez le lien reçu par e-mail.",
        "topics_legend": "Rubriques",
        "topics_hint": "Aucune case cochée : toutes les rubriques.",
        "topics_text_label": "Rubriques, séparées par des points-virgules (vide : toutes)",
        "send_at_label": "Heure d'envoi",
        "send_at_hint": "Vide : {time}, l'heure de la newsletter.",
        "timezone_label": "Fuseau horaire",
        "timezone_default": "Celui de la newsletter ({tz})",
        "save_button": "Enregistrer",
        "saved_banner": "Vos préférences sont enregistrées.",
        "unsubscribe_link": "Se désabonner",
        "unsubscribe_title": "Se désabonner de {newsletter}",
        "unsubscribe_body": "Vous ne recevrez plus aucune édition à l'adresse {email}.",
        "unsubscribe_button": "Me désabonner",
        "unsubscribe_alternative": "Trop de messages, ou pas les bons ? Vous pouvez aussi choisir vos rubriques "
        "et votre heure d'envoi.",
        "prefs_link": "Modifier mes préférences",
        "unsubscribed_title": "Vous êtes désabonné",
        "unsubscribed_body": "{email} ne recevra plus {newsletter}. C'était une erreur ? "
        "Vous pouvez vous réabonner à tout moment.",
        "resubscribe_link": "Se réabonner",
        "one_click_done": "Vous êtes désabonné de {newsletter}.",
        "invalid_title": "Ce lien n'est pas valide",
        "invalid_body": "Le lien est incomplet ou a été modifié. Ouvrez-le tel qu'il figure dans l'e-mail.",
        "renew_button": "M'envoyer un nouveau lien",
        "expired_title": "Ce lien a expiré",
        "expired_body": "Par sécurité, les liens restent valables {days} jours. Utilisez celui d'un e-mail "
        "plus récent.",
        "gone_title": "Cette adresse n'est plus inscrite",
        "gone_body": "Pour recevoir à nouveau {newsletter}, abonnez-vous : un e-mail de confirmation vous sera envoyé.",
        "csrf_title": "Ce formulaire a expiré",
        "csrf_body": "Rechargez la page, puis réessayez.",
        "ratelimit_title": "Trop de tentatives",
        "ratelimit_body": "Réessayez dans une minute.",
        "notfound_title": "Page introuvable",
        "notfound_body": "Cette page n'existe pas ou plus.",
        "archive_title": "{newsletter} du {date}",
        "reading_time": "Temps de lecture : {minutes} minutes",
        "reading_time_one": "Temps de lecture : 1 minute",
        "item_minutes": "{minutes} min",
        "in_brief": "En bref",
        "also_read": "Lire aussi :",
        "archive_placeholder": "L'édition complète s'affichera ici telle qu'elle a été envoyée.",
        "status_pending": "en attente de confirmation",
        "status_confirmed": "abonné",
        "status_unsubscribed": "désabonné",
        "status_bounced": "adresse en échec",
        "status_forgotten": "effacé",
    },
    "en": {
        "tagline": "The essential news in five minutes, every morning.",
        "switch_language": "Lire en français",
        "privacy": "Your address is used only to send you the newsletter. It is never sold or shared.",
        "subscribe_title": "Subscribe to {newsletter}",
        "subscribe_intro": "Every morning, an email you read in five minutes: the day's headlines, "
        "summarised in a few lines, with a link to each article.",
        "email_label": "Email address",
        "email_hint": "We'll send you an email to confirm your subscription.",
        "name_label": "First name (optional)",
        "language_label": "Newsletter language",
        "consent_label": "I agree to receive {newsletter} by email every morning. I can unsubscribe at any "
        "time with the link in every issue.",
        "subscribe_button": "Subscribe",
        "honeypot_label": "Leave this field empty",
        "error_summary": "There is a problem with the form",
        "error_email": "Enter a valid email address, like jane.doe@example.com.",
        "error_consent": "Tick the box to agree to receive the newsletter.",
        "error_field": "Check this field: {detail}",
        "check_title": "Check your inbox",
        "check_body": "If this address can receive {newsletter}, a confirmation email is on its way to it. "
        "Click the link inside to finish subscribing.",
        "check_spam": "Nothing after a few minutes? Look in your spam folder.",
        "confirm_title": "Confirm your subscription",
        "confirm_body": "One last click to get {newsletter} at {email}.",
        "confirm_button": "Confirm my subscription",
        "confirmed_banner": "Confirmed: you'll get {newsletter} from the next edition.",
        "prefs_title": "Your preferences",
        "prefs_intro": "{newsletter} settings for {email}.",
        "prefs_pending": "Your subscription is not confirmed yet: open the link we emailed you.",
        "topics_legend": "Topics",
        "topics_hint": "None ticked: every topic.",
        "topics_text_label": "Topics, separated by semicolons (empty: all)",
        "send_at_label": "Delivery time",
        "send_at_hint": "Empty: {time}, the newsletter's time.",
        "timezone_label": "Time zone",
        "timezone_default": "The newsletter's ({tz})",
        "save_button": "Save",
        "saved_banner": "Your preferences are saved.",
        "unsubscribe_link": "Unsubscribe",
        "unsubscribe_title": "Unsubscribe from {newsletter}",
        "unsubscribe_body": "You will no longer receive any edition at {email}.",
        "unsubscribe_button": "Unsubscribe me",
        "unsubscribe_alternative": "Too many emails, or not the right ones? You can also choose your topics "
        "and delivery time.",
        "prefs_link": "Change my preferences",
        "unsubscribed_title": "You're unsubscribed",
        "unsubscribed_body": "{email} will no longer receive {newsletter}. A mistake? You can subscribe again "
        "at any time.",
        "resubscribe_link": "Subscribe again",
        "one_click_done": "You are unsubscribed from {newsletter}.",
        "invalid_title": "This link is not valid",
        "invalid_body": "The link is incomplete or was changed. Open it exactly as it appears in the email.",
        "renew_button": "Send me a fresh link",
        "expired_title": "This link has expired",
        "expired_body": "For your security, links stay valid for {days} days. Use the one in a more recent email.",
        "gone_title": "This address is no longer subscribed",
        "gone_body": "To receive {newsletter} again, subscribe: we'll send you a confirmation email.",
        "csrf_title": "This form has expired",
        "csrf_body": "Reload the page, then try again.",
        "ratelimit_title": "Too many attempts",
        "ratelimit_body": "Please try again in a minute.",
        "notfound_title": "Page not found",
        "notfound_body": "This page does not exist, or no longer does.",
        "archive_title": "{newsletter}, {date}",
        "reading_time": "Reading time: {minutes} minutes",
        "reading_time_one": "Reading time: 1 minute",
        "item_minutes": "{minutes} min",
        "in_brief": "In brief",
        "also_read": "Also read:",
        "archive_placeholder": "The full edition will show here as it was sent.",
        "status_pending": "waiting for confirmation",
        "status_confirmed": "subscribed",
        "status_unsubscribed": "unsubscribed",
        "status_bounced": "address failing",
        "status_forgotten": "erased",
    },
}


def labels(language: str) -> dict[str, str]:
    """The labels of ``language`` (English for a language without its own)."""
    return LABELS.get(language, LABELS["en"])


def consent_version(language: str) -> str:
    """The consent text version stored with a web subscription."""
    return f"web-{CONSENT_VERSION}/{language}"


def negotiate(accept_language: str | None, default: str) -> str:
    """The supported language a browser prefers most (Accept-Language), else ``default``."""
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        if code not in SUPPORTED_LANGUAGES:
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, code)
    return best[1] if best else default
