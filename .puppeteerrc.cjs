// Parley never downloads a browser: WhatsApp Web uses the system Chromium (WHATSAPP_WEB_CHROMIUM).
module.exports = { skipDownload: true };
