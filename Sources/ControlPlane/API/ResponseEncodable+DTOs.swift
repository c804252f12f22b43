import Hummingbird

extension UserResponse: ResponseEncodable {}
extension AuthResponse: ResponseEncodable {}
extension SessionResponse: ResponseEncodable {}
extension SessionPage: ResponseEncodable {}
extension BookingResponse: ResponseEncodable {}
extension RequestResponse: ResponseEncodable {}
extension FeedbackResponse: ResponseEncodable {}
extension NotificationResponse: ResponseEncodable {}
extension MetricsResponse: ResponseEncodable {}
extension FollowResponse: ResponseEncodable {}
extension RoomTokenResponse: ResponseEncodable {}
