# Sourced by scripts/run*.sh: Rasa refuses a ${VAR} in credentials.yml that is not set at all, so
# every channel variable is set (empty = that channel stays disabled).
for var in TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_SMS_NUMBER TWILIO_WHATSAPP_NUMBER \
  TWILIO_PUBLIC_URL TWILIO_API_BASE_URL TWILIO_WHATSAPP_TEMPLATE_SID TELEGRAM_BOT_TOKEN \
  TELEGRAM_WEBHOOK_SECRET TELEGRAM_WEBHOOK_URL TELEGRAM_API_BASE_URL TELEGRAM_FILE_BASE_URL; do
  export "$var=${!var:-}"
done
